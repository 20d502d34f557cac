/// Folds interval reports (from one worker or many, in any order) into the run's figures. Histograms are merged,
/// never percentiles averaged. Pure: the same intervals always give the same report, so a report can be rebuilt
/// from the run directory.
public struct RunAggregator: Sendable {
    public let plan: Plan
    private let stepOrder: [StepID]
    private var steps: [StepID: Bucket] = [:]
    private var slots: [Int: Bucket] = [:]
    private var seconds: [Int: Bucket] = [:]
    public private(set) var intervalsMerged = 0
    public private(set) var lastSecond = -1

    /// `flows` names the steps of each flow in scenario order, so the report lists them that way.
    public init(plan: Plan, flows: [(flow: String, steps: [String])]) {
        self.plan = plan
        self.stepOrder = flows.flatMap { flow in flow.steps.map { StepID(flow: flow.flow, step: $0) } }
    }

    public init(plan: Plan, scenario: Scenario) {
        self.init(plan: plan, flows: scenario.flows.map { ($0.name, $0.steps.map(\.name)) })
    }

    struct StepID: Hashable, Sendable {
        var flow: String
        var step: String
    }

    /// Counts and latencies of one slice of the run (a step, a slot, or a second).
    struct Bucket: Sendable {
        var shoppers = ArrivalCounts()
        var requests = RequestCounts()
        var corrected = HistogramAccumulator()
        var uncorrected = HistogramAccumulator()
        var inFlight = 0

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
        for record in report.slots {
            slots[record.slot, default: Bucket()].shoppers.add(record.counts)
            second.shoppers.add(record.counts)
        }
        for record in report.steps {
            slots[record.slot, default: Bucket()].add(record)
            steps[StepID(flow: record.flow, step: record.step), default: Bucket()].add(record)
            second.add(record)
        }
        seconds[report.second] = second
    }

    /// The figures of one second, for the live progress line.
    public func progress(second: Int) -> Progress {
        let bucket = seconds[second] ?? Bucket()
        var total = ArrivalCounts()
        for slot in slots.values { total.add(slot.shoppers) }
        return Progress(
            second: second, clock: clock(atSecond: second),
            expected: plan.expectedArrivals(from: Double(second), to: Double(second + 1)),
            shoppers: bucket.shoppers, requests: bucket.requests, inFlight: bucket.inFlight,
            p99: bucket.corrected.isEmpty ? nil : bucket.corrected.histogram.summary.p99,
            total: total, expectedTotal: plan.expectedTotal, plannedSeconds: plan.duration)
    }

    public func report(info: RunInfo) -> RunReport {
        var all = Bucket()
        for slot in slots.values { all.add(slot) }
        let stepSummaries = orderedStepIDs().map { id in
            let bucket = steps[id] ?? Bucket()
            return StepSummary(
                flow: id.flow, step: id.step, requests: bucket.requests, corrected: bucket.corrected.summary,
                uncorrected: bucket.uncorrected.summary)
        }
        return RunReport(
            run: info,
            totals: Totals(
                expected: plan.expectedTotal, shoppers: all.shoppers, requests: all.requests,
                corrected: all.corrected.summary, uncorrected: all.uncorrected.summary),
            steps: stepSummaries, periods: periodSummaries(), spikes: spikeSummaries(), timeline: timeline())
    }

    /// The profile clock at the start of a second (the window's end once the plan is over).
    private func clock(atSecond second: Int) -> String {
        let p = plan.profileTime(atReal: Double(second))
        return p >= plan.window.end ? ProfileClock.endLabel(plan.window.end) : ProfileClock.label(p)
    }

    private func orderedStepIDs() -> [StepID] {
        let extra = steps.keys.filter { !stepOrder.contains($0) }.sorted { ($0.flow, $0.step) < ($1.flow, $1.step) }
        return stepOrder + extra
    }

    private func expected(_ slot: Slot) -> Double { plan.expectedArrivals(profileFrom: slot.start, to: slot.end) }

    private func periodSummaries() -> [PeriodSummary] {
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

    private func spikeSummaries() -> [SpikeSummary] {
        plan.profile.spikes.enumerated().compactMap { index, spike in
            let inside = plan.slots.filter { $0.spike == index }
            guard !inside.isEmpty else { return nil }
            let periodsTouched = Set(inside.map(\.period))
            let outside = plan.slots.filter { $0.spike == nil && periodsTouched.contains($0.period) }
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
                label: spike.label, at: ProfileClock.label(spike.start), realSeconds: spikeSeconds,
                expected: spikeExpected, shoppers: spikeBucket.shoppers,
                achievedRate: spikeSeconds > 0 ? Double(spikeBucket.shoppers.started) / spikeSeconds : 0,
                baseRate: baseSeconds > 0 ? Double(baseStarted) / baseSeconds : 0,
                corrected: spikeBucket.corrected.summary)
        }
    }

    private func timeline() -> [TimelinePoint] {
        seconds.keys.sorted().map { second in
            let bucket = seconds[second]!
            return TimelinePoint(
                second: second,
                clock: clock(atSecond: second),
                expected: plan.expectedArrivals(from: Double(second), to: Double(second + 1)),
                shoppers: bucket.shoppers, requests: bucket.requests, inFlight: bucket.inFlight,
                corrected: bucket.corrected.summary, uncorrected: bucket.uncorrected.summary)
        }
    }
}

/// The live view of one second of a run.
public struct Progress: Sendable, Equatable {
    public var second: Int
    public var clock: String
    /// Λ over this second.
    public var expected: Double
    public var shoppers: ArrivalCounts
    public var requests: RequestCounts
    public var inFlight: Int
    /// p99 of the corrected latency of requests completed this second, in milliseconds.
    public var p99: Double?
    /// Shoppers so far.
    public var total: ArrivalCounts
    public var expectedTotal: Double
    public var plannedSeconds: Double
}
