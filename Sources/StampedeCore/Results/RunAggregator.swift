/// Folds interval reports (from one worker or many, in any order) into the run's figures. Histograms are merged,
/// never percentiles averaged. Pure: the same intervals always give the same report, so a report can be rebuilt
/// from the run directory.
public struct RunAggregator: Sendable {
    public let plan: Plan
    public let scenario: Scenario
    /// Each step's requests by the slot of their intended start.
    private var stepSlots: [StepID: [Int: Bucket]] = [:]
    private var slots: [Int: Bucket] = [:]
    private var seconds: [Int: Bucket] = [:]
    /// Each step's requests by the point of the charts' series they completed in (``RunSeries/stride``).
    private var stepPoints: [StepID: [Int: Bucket]] = [:]
    /// The first and last second each worker reported.
    private var workerSpans: [String: ClosedRange<Int>] = [:]
    /// Shoppers by worker and slot, to settle the shoppers of a lost worker.
    private var workerSlots: [String: [Int: ArrivalCounts]] = [:]
    private var workerIntervals: [String: Int] = [:]
    private var statuses: [String: WorkerSummary.Status] = [:]
    private var gaps: [GapSummary] = []
    private var ledger: [String: LedgerCounts] = [:]
    public private(set) var truth = GroundTruthRecord()
    private var payments: [PaymentEvent] = []
    public private(set) var drill: DrillRecord?
    /// The first sample of each failure per step and label (the earliest, whichever worker saw it).
    private var samples: [SampleKey: ErrorSample] = [:]
    public private(set) var intervalsMerged = 0

    struct SampleKey: Hashable {
        var step: StepID
        var label: ErrorLabel
    }
    public private(set) var lastSecond = -1

    /// The report lists the scenario's steps in its order, by their names.
    public init(plan: Plan, scenario: Scenario) {
        self.plan = plan
        self.scenario = scenario
    }

    /// Intervals may arrive after the plan's end while the last shoppers finish (at most the finish timeout); a
    /// second later than this is a worker's mistake.
    public static let latestSecondAfterPlan = 3_600

    /// What is wrong with an interval received from elsewhere, checked against the plan and the scenario, or nil
    /// when it is sound.
    public func problem(with interval: IntervalReport) -> String? {
        interval.problem(
            slotCount: plan.slots.count, maxSecond: Int(plan.arrivalsEnd) + Self.latestSecondAfterPlan,
            scenario: scenario)
    }

    /// A step's whole run.
    func stepBucket(_ id: StepID, slots selected: Set<Int>? = nil) -> Bucket {
        var bucket = Bucket()
        for (slot, part) in stepSlots[id] ?? [:] where selected?.contains(slot) ?? true { bucket.add(part) }
        return bucket
    }

    /// Every slot's bucket (requests of all steps, and shoppers), for the slots selected (all by default).
    func slotsBucket(_ selected: Set<Int>? = nil) -> Bucket {
        var bucket = Bucket()
        for (slot, part) in slots where selected?.contains(slot) ?? true { bucket.add(part) }
        return bucket
    }

    /// Counts and latencies of one slice of the run (a step, a slot, or a second).
    struct Bucket: Sendable {
        var shoppers = ArrivalCounts()
        var requests = RequestCounts()
        var corrected = HistogramAccumulator()
        var uncorrected = HistogramAccumulator()
        var inFlight = 0
        var waiting = 0

        mutating func add(_ record: StepRecord) {
            requests.add(record.counts)
            corrected.add(record.corrected)
            uncorrected.add(record.uncorrected)
        }

        mutating func add(_ other: Bucket) {
            shoppers.add(other.shoppers)
            requests.add(other.requests)
            corrected.add(other.corrected)
            uncorrected.add(other.uncorrected)
        }
    }

    public mutating func add(_ report: IntervalReport) {
        intervalsMerged += 1
        lastSecond = max(lastSecond, report.second)
        var second = seconds[report.second, default: Bucket()]
        second.inFlight += report.inFlight
        second.waiting += report.waiting
        workerIntervals[report.worker, default: 0] += 1
        let span = workerSpans[report.worker]
        workerSpans[report.worker] =
            min(
                span?.lowerBound ?? report.second, report.second)...max(
                span?.upperBound ?? report.second, report.second)
        let point = report.second / seriesStride
        for record in report.slots {
            slots[record.slot, default: Bucket()].shoppers.add(record.counts)
            workerSlots[report.worker, default: [:]][record.slot, default: ArrivalCounts()].add(record.counts)
            second.shoppers.add(record.counts)
        }
        for (sku, counts) in report.ledger { ledger[sku, default: LedgerCounts()].add(counts) }
        for sample in report.samples {
            let key = SampleKey(step: sample.id, label: sample.label)
            if let kept = samples[key], (kept.at, kept.detail) <= (sample.at, sample.detail) { continue }
            samples[key] = sample
        }
        payments += report.payments
        for record in report.steps {
            slots[record.slot, default: Bucket()].add(record)
            stepSlots[record.id, default: [:]][record.slot, default: Bucket()].add(record)
            stepPoints[record.id, default: [:]][point, default: Bucket()].add(record)
            second.add(record)
        }
        seconds[report.second] = second
    }

    /// Takes what the coordinator learned (live, or read back from `facts.jsonl`).
    public mutating func apply(_ fact: RunFact) {
        switch fact {
        case .started(let nanos): startNanos = nanos
        case .books(let phase, let books): truth.add(.success(books), phase: phase)
        case .booksProblem(let phase, let message): truth.add(.failure(GroundTruthError(message)), phase: phase)
        case .workerFinished(let worker): statuses[worker] = .finished
        case .workerLost(let gap):
            statuses[gap.worker] = .lost
            gaps.append(gap)
        case .drill(let record): drill = record
        case .thresholdBroken(let threshold, let second, _): aborts[threshold] = aborts[threshold] ?? second
        case .ended(let seconds, let interrupted, let reason): end = (seconds, interrupted, reason)
        }
    }

    /// The shared start instant, once known.
    public private(set) var startNanos: Int64?
    /// When each `abort` threshold stopped the run (run seconds).
    public private(set) var aborts: [String: Double] = [:]
    /// How long the run ran and whether (and why) it was stopped early, once it ended.
    public private(set) var end: (actualSeconds: Double, interrupted: Bool, reason: String?)?

    /// Real seconds per point of the charts' step series.
    var seriesStride: Int { RunSeries.stride(forSeconds: plan.duration) }

    /// What the charts draw beyond the report.
    public func series() -> RunSeries {
        let stride = seriesStride
        let steps = orderedStepIDs().compactMap { id -> RunSeries.StepSeries? in
            guard let points = stepPoints[id] else { return nil }
            let names = scenario.names(of: id)
            return RunSeries.StepSeries(
                flow: names.flow, step: names.step,
                points: points.sorted { $0.key < $1.key }.map { point, bucket in
                    RunSeries.StepPoint(
                        second: point * stride, requests: bucket.requests.requests, failed: bucket.requests.failed,
                        corrected: bucket.corrected.summary, uncorrected: bucket.uncorrected.summary)
                })
        }
        let bursts = plan.slots[plan.timeSlotCount...].map { slot in
            let burst = plan.profile.bursts[slot.burst!]
            let times = (ledger[burst.sku]?.confirmedAt ?? []).sorted().map { Double($0) / 1e6 }
            return RunSeries.BurstSeries(
                label: burst.label, sku: burst.sku, stock: burst.stock, start: plan.realTime(ofBurst: slot.burst!),
                within: burst.within, confirmedAt: times)
        }
        let workers = workerSpans.sorted { $0.key < $1.key }.map {
            RunSeries.WorkerSpan(name: $0.key, first: $0.value.lowerBound, last: $0.value.upperBound)
        }
        return RunSeries(stride: stride, steps: steps, bursts: bursts, workers: workers)
    }

    /// The figures of one second, for the live progress line.
    public func progress(second: Int) -> Progress {
        var total = ArrivalCounts()
        for slot in slots.values { total.add(slot.shoppers) }
        return Progress(
            point: point(second: second, bucket: seconds[second] ?? Bucket()), total: total,
            expectedTotal: plan.expectedTotal, plannedSeconds: plan.arrivalsEnd)
    }

    /// The report of everything folded in so far. A run without an end (its coordinator stopped before it could
    /// say so) is reported as interrupted, and the report says what it could not know.
    public func report(record: RunRecord) -> RunReport {
        var truth = self.truth
        var drill = self.drill
        var unknowns: [String] = []
        if end == nil {
            unknowns.append(
                "the run did not end normally (its coordinator stopped first): the workers' last intervals may be missing"
            )
            if scenario.groundTruth != nil, truth.after == nil {
                truth.problem = truth.problem ?? "the books were not read after the run"
                unknowns.append("the target's books were not read after the run: the oversell verdict is unverified")
            }
            if let spec = scenario.drill, drill == nil {
                drill = DrillRecord(
                    primary: spec.primary, faults: spec.faultWindows(plan: plan), charges: nil, orders: nil,
                    problem: "the drill's ledgers were not gathered")
                unknowns.append("the payment channels' ledgers were not gathered: the payment verdict is unverified")
            }
        }
        let (seconds, interrupted, reason) = end ?? (Double(lastSecond + 1), true, "the run did not end normally")
        var info = record.info(plan: plan, actualSeconds: seconds, interrupted: interrupted, startNanos: startNanos)
        info.stopReason = reason
        return report(info: info, truth: truth, drill: drill, unknowns: unknowns)
    }

    private func report(info: RunInfo, truth: GroundTruthRecord, drill: DrillRecord?, unknowns: [String]) -> RunReport {
        let inventory = verdicts(truth)
        let payments = paymentVerdict(drill)
        let (slots, settledGaps) = settled()
        var all = Bucket()
        for slot in slots.values { all.add(slot) }
        let stepSummaries = orderedStepIDs().map { id in
            let bucket = stepBucket(id)
            let names = scenario.names(of: id)
            return StepSummary(
                flow: names.flow, step: names.step, requests: bucket.requests, corrected: bucket.corrected.summary,
                uncorrected: bucket.uncorrected.summary)
        }
        return RunReport(
            run: info,
            totals: Totals(
                expected: plan.expectedTotal, shoppers: all.shoppers, requests: all.requests,
                corrected: all.corrected.summary, uncorrected: all.uncorrected.summary),
            steps: stepSummaries, periods: periodSummaries(slots), spikes: spikeSummaries(slots), timeline: timeline(),
            workers: workerSummaries(), gaps: settledGaps, inventory: inventory,
            bursts: burstSummaries(slots, verdicts: inventory), books: truth.readings, payments: payments,
            unknowns: unknowns.isEmpty ? nil : unknowns, errorSamples: errorSamples(),
            thresholds: thresholdResults(verdicts: Verdicts(inventory: inventory, payments: payments)))
    }

    private func thresholdResults(verdicts: Verdicts) -> [ThresholdResult]? {
        guard let thresholds = scenario.thresholds, !thresholds.isEmpty else { return nil }
        return thresholds.map { threshold in
            var result = evaluate(threshold, verdicts: verdicts)
            if let second = aborts[threshold.check] {
                // It stopped the run: it failed, whatever the figures say once the workers stopped.
                result.abortedAt = second
                result.outcome = .failed
                result.reason = "stopped the run at \(Self.decimal(second, 1)) s"
            }
            return result
        }
    }

    private func paymentVerdict(_ drill: DrillRecord?) -> PaymentVerdict? {
        guard let drill else { return nil }
        return PaymentVerifier.verdict(
            primary: drill.primary, faults: drill.faults, events: payments, charges: drill.charges,
            orders: drill.orders,
            attempts: drill.attempts, problem: drill.problem, channels: scenario.drill?.channels.map(\.name))
    }

    private func verdicts(_ truth: GroundTruthRecord) -> [InventoryVerdict] {
        var announced: [String: Int] = [:]
        for slot in plan.slots[plan.timeSlotCount...] {
            let burst = plan.profile.bursts[slot.burst!]
            announced[burst.sku, default: 0] += burst.stock
        }
        guard !ledger.isEmpty || !announced.isEmpty else { return [] }
        return InventoryVerifier.verdicts(
            ledger: ledger, before: truth.before, after: truth.after, problem: truth.problem, announced: announced,
            hold: scenario.groundTruth?.hold)
    }

    private func burstSummaries(_ slots: [Int: Bucket], verdicts: [InventoryVerdict]) -> [BurstSummary] {
        let verdicts = Dictionary(verdicts.map { ($0.sku, $0) }, uniquingKeysWith: { a, _ in a })
        return plan.slots[plan.timeSlotCount...].map { slot in
            let index = slot.burst!
            let burst = plan.profile.bursts[index]
            let bucket = slots[slot.index] ?? Bucket()
            let counts = ledger[burst.sku] ?? LedgerCounts()
            let stock = verdicts[burst.sku]?.initialStock ?? burst.stock
            let times = counts.confirmedAt.sorted()
            let start = plan.realTime(ofBurst: index)
            let soldOut = stock > 0 && times.count >= stock ? Double(times[stock - 1]) / 1e6 - start : nil
            return BurstSummary(
                label: burst.label, at: ProfileClock.instant(burst.at), sku: burst.sku, crowd: burst.crowd,
                stock: stock,
                shoppers: bucket.shoppers, requests: bucket.requests, confirmations: counts.confirmations,
                soldOutTold: counts.soldOut, timeToSellOut: soldOut.map { max(0, $0) },
                corrected: bucket.corrected.summary)
        }
    }

    /// The slots with every lost worker's unfinished shoppers counted as failed, and the gaps with those counts.
    private func settled() -> ([Int: Bucket], [GapSummary]) {
        var slots = self.slots
        var gaps = self.gaps
        for index in gaps.indices {
            var unfinished = 0
            for (slot, counts) in workerSlots[gaps[index].worker] ?? [:] {
                let open = max(0, counts.started - counts.ended)
                guard open > 0 else { continue }
                unfinished += open
                slots[slot, default: Bucket()].shoppers.failed += open
                slots[slot, default: Bucket()].shoppers.failures[.workerLost, default: 0] += open
            }
            gaps[index].unfinishedShoppers = unfinished
        }
        return (slots, gaps)
    }

    private func workerSummaries() -> [WorkerSummary] {
        workerIntervals.keys.sorted().map { name in
            var shoppers = ArrivalCounts()
            for counts in (workerSlots[name] ?? [:]).values { shoppers.add(counts) }
            return WorkerSummary(
                name: name, status: statuses[name] ?? .active, intervals: workerIntervals[name] ?? 0, shoppers: shoppers
            )
        }
    }

    /// Λ over one second, and the crowds of bursts arriving in it.
    private func expectedArrivals(second: Int) -> Double {
        var expected = plan.expectedArrivals(from: Double(second), to: Double(second + 1))
        for slot in plan.slots[plan.timeSlotCount...] {
            let burst = plan.profile.bursts[slot.burst!]
            let start = plan.realTime(ofBurst: slot.burst!)
            let end = start + burst.within
            if burst.within == 0 {
                if start >= Double(second) && start < Double(second + 1) { expected += Double(burst.crowd) }
            } else {
                let overlap = max(0, min(end, Double(second + 1)) - max(start, Double(second)))
                expected += Double(burst.crowd) * overlap / burst.within
            }
        }
        return expected
    }

    /// The profile clock at the start of a second (the window's end once the plan is over), with seconds when a
    /// real second is less than a profile minute (a short profile, or one played slowly).
    private func clock(atSecond second: Int) -> String {
        let p = plan.profileTime(atReal: Double(second))
        let withSeconds = plan.speed < 60
        if p >= plan.window.end {
            return withSeconds ? ProfileClock.labelWithSeconds(plan.window.end) : ProfileClock.endLabel(plan.window.end)
        }
        return withSeconds ? ProfileClock.labelWithSeconds(p) : ProfileClock.label(p)
    }

    /// Each step's whole-run histograms, in scenario order (for the percentile distribution files).
    public func stepHistograms() -> [(
        flow: String, step: String, corrected: SparseHistogram, uncorrected: SparseHistogram
    )] {
        orderedStepIDs().compactMap { id in
            guard stepSlots[id] != nil else { return nil }
            let bucket = stepBucket(id)
            let names = scenario.names(of: id)
            return (names.flow, names.step, bucket.corrected.sparse, bucket.uncorrected.sparse)
        }
    }

    private func errorSamples() -> [ErrorSampleSummary]? {
        guard !samples.isEmpty else { return nil }
        return samples.values.sorted { ($0.id, $0.label) < ($1.id, $1.label) }.map { sample in
            let names = scenario.names(of: sample.id)
            return ErrorSampleSummary(
                flow: names.flow, step: names.step, label: sample.label, detail: sample.detail,
                at: Double(sample.at) / 1e6)
        }
    }

    /// The scenario's steps in order, then any step the scenario lacks (only from a hand-edited run directory).
    private func orderedStepIDs() -> [StepID] {
        let order = scenario.stepIDs
        return order + stepSlots.keys.filter { !scenario.contains($0) }.sorted()
    }

    private func expected(_ slot: Slot) -> Double {
        if let burst = slot.burst { return Double(plan.profile.bursts[burst].crowd) }
        return plan.expectedArrivals(profileFrom: slot.start, to: slot.end)
    }

    private func periodSummaries(_ slots: [Int: Bucket]) -> [PeriodSummary] {
        let periods = plan.profile.periods
        var rows: [Int: (expected: Double, bucket: Bucket)] = [:]
        for slot in plan.slots {
            var row = rows[slot.period] ?? (0, Bucket())
            row.expected += expected(slot)
            if let bucket = slots[slot.index] { row.bucket.add(bucket) }
            rows[slot.period] = row
        }
        return rows.keys.sorted().map { index in
            let row = rows[index]!
            return PeriodSummary(
                index: index, label: periods[index].label, expected: row.expected, shoppers: row.bucket.shoppers,
                requests: row.bucket.requests, corrected: row.bucket.corrected.summary,
                uncorrected: row.bucket.uncorrected.summary)
        }
    }

    private func spikeSummaries(_ slots: [Int: Bucket]) -> [SpikeSummary] {
        plan.profile.spikes.enumerated().compactMap { index, spike in
            let inside = plan.slots.filter { $0.spike == index }
            guard !inside.isEmpty else { return nil }
            let periodsTouched = Set(inside.map(\.period))
            let outside = plan.slots.filter { $0.spike == nil && $0.burst == nil && periodsTouched.contains($0.period) }
            var spikeBucket = Bucket()
            var spikeExpected = 0.0
            var spikeSeconds = 0.0
            for slot in inside {
                spikeExpected += expected(slot)
                spikeSeconds += (slot.end - slot.start) / plan.speed
                if let bucket = slots[slot.index] { spikeBucket.add(bucket) }
            }
            var baseStarted = 0
            var baseSeconds = 0.0
            for slot in outside {
                baseStarted += slots[slot.index]?.shoppers.started ?? 0
                baseSeconds += (slot.end - slot.start) / plan.speed
            }
            return SpikeSummary(
                label: spike.label, at: ProfileClock.instant(spike.start), realSeconds: spikeSeconds,
                expected: spikeExpected, shoppers: spikeBucket.shoppers,
                achievedRate: spikeSeconds > 0 ? Double(spikeBucket.shoppers.started) / spikeSeconds : 0,
                baseRate: baseSeconds > 0 ? Double(baseStarted) / baseSeconds : 0,
                corrected: spikeBucket.corrected.summary)
        }
    }

    private func timeline() -> [TimelinePoint] {
        seconds.keys.sorted().map { point(second: $0, bucket: seconds[$0]!) }
    }

    private func point(second: Int, bucket: Bucket) -> TimelinePoint {
        TimelinePoint(
            second: second, clock: clock(atSecond: second), expected: expectedArrivals(second: second),
            shoppers: bucket.shoppers, requests: bucket.requests, inFlight: bucket.inFlight,
            waiting: bucket.waiting, corrected: bucket.corrected.summary, uncorrected: bucket.uncorrected.summary)
    }
}
