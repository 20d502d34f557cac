import Foundation
import Testing

@testable import StampedeCore

struct RunAggregatorTests {
    static let profile = Profile(
        name: "two-hours", shape: .hourly([1, 2]), spikes: [Spike(label: "flash", start: 3600, duration: 600, level: 2)]
    )

    /// One flow of two steps: browse (step 0) and order (step 1).
    static let scenario = Scenario(
        name: "s",
        flows: [
            Flow(
                name: "buy",
                steps: [
                    Step(name: "browse", path: Template(literal: "/")),
                    Step(name: "order", path: Template(literal: "/o")),
                ])
        ])
    static let browse = StepID(flow: 0, step: 0)

    static func plan() throws -> Plan {
        try Plan(profile: profile, scale: RunScale(peakRate: 100, compression: .duration(10)))
    }

    static func histogram(_ values: [UInt64]) -> SparseHistogram {
        var histogram = LatencyHistogram()
        for value in values { histogram.record(microseconds: value) }
        return histogram.sparse
    }

    static func counts(planned: Int, started: Int, succeeded: Int, failed: Int = 0) -> ArrivalCounts {
        var counts = ArrivalCounts()
        counts.planned = planned
        counts.started = started
        counts.dropped = planned - started
        counts.succeeded = succeeded
        counts.failed = failed
        if failed > 0 { counts.failures[.timeout] = failed }
        return counts
    }

    static func requests(ok: Int, failed: Int = 0, throttled: Int = 0) -> RequestCounts {
        var counts = RequestCounts()
        counts.requests = ok + failed + throttled
        counts.ok = ok
        counts.failed = failed
        counts.throttled = throttled
        if failed > 0 { counts.errors[.status5xx] = failed }
        return counts
    }

    /// The charts' series: a long run's step points merge the histograms of `stride` seconds (the percentile of
    /// the union, never an average of percentiles); each worker's first and last second.
    @Test func theSeriesOfALongRunMergesEachPointsSeconds() throws {
        let plan = try Plan(profile: Self.profile, scale: RunScale(peakRate: 100, compression: .duration(86_400)))
        var aggregator = RunAggregator(plan: plan, scenario: Self.scenario)
        let stride = RunSeries.stride(forSeconds: 86_400)
        #expect(stride == 87)
        func interval(_ worker: String, _ second: Int, _ micros: [UInt64]) -> IntervalReport {
            IntervalReport(
                worker: worker, second: second,
                steps: [
                    StepRecord(
                        slot: 0, step: Self.browse, counts: Self.requests(ok: micros.count),
                        corrected: Self.histogram(micros), uncorrected: Self.histogram(micros))
                ])
        }
        aggregator.add(interval("w1", 0, [1_000, 1_000]))
        aggregator.add(interval("w2", 86, [1_000, 100_000]))
        aggregator.add(interval("w1", 87, [5_000]))
        aggregator.add(interval("w2", 500, [2_000]))
        let series = aggregator.series()
        #expect(series.stride == stride)
        let browse = try #require(series.steps.first)
        #expect(browse.step == "browse")
        #expect(browse.points.map(\.second) == [0, 87, 435])
        #expect(browse.points.map(\.requests) == [4, 1, 1])
        // Seconds 0 and 86 are one point: its p50 is 1 ms and its max 100 ms, from the four requests together.
        #expect(abs(browse.points[0].corrected.p50 - 1) < 0.01)
        #expect(abs(browse.points[0].corrected.max - 100) < 0.1)
        #expect(series.steps.count == 1, "a step nobody reached has no series")
        #expect(series.workers.map(\.name) == ["w1", "w2"])
        #expect(series.workers.map(\.first) == [0, 86])
        #expect(series.workers.map(\.last) == [87, 500])
    }

    @Test func mergesWorkersAndIntervalsExactly() throws {
        let plan = try Self.plan()
        // Slots: hour 0, the spike (start of hour 1), the rest of hour 1.
        #expect(plan.slots.map(\.period) == [0, 1, 1])
        var aggregator = RunAggregator(plan: plan, scenario: Self.scenario)
        let workers = ["w1", "w2", "w3"]
        var all: [UInt64] = []
        for (n, worker) in workers.enumerated() {
            for second in 0..<3 {
                let values = (0..<50).map { UInt64(1_000 * (n + 1) + second * 7 + $0 * 13) }
                all += values
                aggregator.add(
                    IntervalReport(
                        worker: worker, second: second,
                        slots: [
                            SlotRecord(
                                slot: second % 3, counts: Self.counts(planned: 10, started: 9, succeeded: 8, failed: 1))
                        ],
                        steps: [
                            StepRecord(
                                slot: second % 3, step: Self.browse,
                                counts: Self.requests(ok: 48, failed: 1, throttled: 1),
                                corrected: Self.histogram(values), uncorrected: Self.histogram(values.map { $0 / 2 }))
                        ],
                        inFlight: 4, waiting: second + 1))
            }
        }
        let report = aggregator.report(record: Self.record())
        #expect(report.totals.shoppers.planned == 90)
        #expect(report.totals.shoppers.started == 81)
        #expect(report.totals.shoppers.dropped == 9)
        #expect(report.totals.shoppers.started == report.totals.shoppers.ended)
        #expect(report.totals.requests.requests == 450)
        #expect(report.totals.requests.throttled == 9)
        #expect(report.totals.requests.errors[.status5xx] == 9)
        var union = LatencyHistogram()
        for value in all { union.record(microseconds: value) }
        #expect(report.totals.corrected == union.summary)
        #expect(report.steps.map(\.step) == ["browse", "order"])
        #expect(report.steps[1].requests.requests == 0)
        #expect(report.periods.map(\.label) == ["00:00", "01:00"])
        #expect(report.periods[0].shoppers.planned == 30)
        #expect(report.periods[1].shoppers.planned == 60)
        #expect(report.timeline.count == 3)
        #expect(report.timeline[0].inFlight == 12)
        // Each worker held `second + 1` arrivals for a connection as the second closed: three workers.
        #expect(report.timeline.map(\.waiting) == [3, 6, 9])
        #expect(report.timeline[2].shoppers.planned == 30)
        #expect(report.spikes.count == 1)
        #expect(report.spikes[0].shoppers.planned == 30)
        // Expected arrivals add up to the plan, per period and in the spike.
        #expect(abs(report.periods.map(\.expected).reduce(0, +) - plan.expectedTotal) < 1e-9)
    }

    @Test func theOrderOfArrivalDoesNotMatter() throws {
        let plan = try Self.plan()
        let reports = (0..<6).map { second in
            IntervalReport(
                worker: "w\(second % 2)", second: second / 2,
                slots: [
                    SlotRecord(
                        slot: second % 3, counts: Self.counts(planned: second + 1, started: second, succeeded: second))
                ],
                steps: [
                    StepRecord(
                        slot: 0, step: Self.browse, counts: Self.requests(ok: 3),
                        corrected: Self.histogram([UInt64(second * 100 + 1), 5, 900]), uncorrected: Self.histogram([1]))
                ])
        }
        var forward = RunAggregator(plan: plan, scenario: Self.scenario)
        var backward = RunAggregator(plan: plan, scenario: Self.scenario)
        for report in reports { forward.add(report) }
        for report in reports.reversed() { backward.add(report) }
        #expect(forward.report(record: Self.record()) == backward.report(record: Self.record()))
    }

    @Test func theJSONLineReadsBackAsTheSameInterval() throws {
        var counts = Self.counts(planned: 5, started: 4, succeeded: 2, failed: 2)
        counts.failures[ErrorLabel(rawValue: "odd \"label\"")] = 1
        var requests = Self.requests(ok: 3, failed: 2, throttled: 1)
        requests.errors[.timeout] = 1
        let interval = IntervalReport(
            worker: "w\\1", second: 7,
            slots: [SlotRecord(slot: 2, counts: counts), SlotRecord(slot: 3, counts: ArrivalCounts())],
            steps: [
                StepRecord(
                    slot: 2, step: StepID(flow: 3, step: 12), counts: requests,
                    corrected: Self.histogram([5, 900, 77_000]), uncorrected: Self.histogram([]))
            ],
            inFlight: 9, waiting: 31)
        let decoded = try JSONDecoder().decode(IntervalReport.self, from: Data(interval.jsonLine().utf8))
        #expect(decoded == interval)
    }

    @Test func intervalsThatDoNotFitThePlanAreNamed() throws {
        let plan = try Self.plan()
        let bad = IntervalReport(worker: "w", second: 0, slots: [SlotRecord(slot: 9, counts: ArrivalCounts())])
        let aggregator = RunAggregator(plan: plan, scenario: Self.scenario)
        #expect(aggregator.problem(with: bad) != nil)
        #expect(aggregator.problem(with: IntervalReport(worker: "w", second: -1)) != nil)
        #expect(aggregator.problem(with: IntervalReport(worker: "w", second: 1)) == nil)
        #expect(
            aggregator.problem(with: IntervalReport(worker: "w", second: 10 + RunAggregator.latestSecondAfterPlan + 1))
                != nil)
        // A step the scenario does not have.
        let stranger = StepRecord(
            slot: 0, step: StepID(flow: 0, step: 2), counts: Self.requests(ok: 1), corrected: Self.histogram([1]),
            uncorrected: Self.histogram([1]))
        #expect(aggregator.problem(with: IntervalReport(worker: "w", second: 1, steps: [stranger])) != nil)
    }

    static func record() -> RunRecord {
        RunRecord(
            id: "t", startedAt: "", profile: profile, scenario: scenario,
            scale: RunScale(peakRate: 100, compression: .duration(10)), target: Origin(url: "http://127.0.0.1:1")!,
            seed: 1, arrivals: .poisson, workers: 1, maxShoppers: 1, connections: 1)
    }

    /// A profile shorter than a minute, played in real time: the clock shows seconds, not "00:00" on every line.
    @Test func theProfileClockShowsSecondsWhenItMovesLessThanAMinuteASecond() throws {
        let plan = try Plan(
            profile: Profile(name: "short", shape: .stages([Stage(duration: 30, from: 1, to: 1)])),
            scale: RunScale(peakRate: 10, compression: .speed(1)))
        let aggregator = RunAggregator(plan: plan, scenario: Self.scenario)
        #expect(aggregator.progress(second: 5).point.clock == "00:00:05")
        #expect(aggregator.progress(second: 29).point.clock == "00:00:29")
        let day = try Self.plan()
        #expect(RunAggregator(plan: day, scenario: Self.scenario).progress(second: 5).point.clock == "01:00")
    }

    /// A run directory whose coordinator stopped before the end: the report says so, and what it could not know.
    @Test func aReportWithoutAnEndSaysWhatItCouldNotKnow() throws {
        var record = Self.record()
        record.scenario.groundTruth = GroundTruthSpec(
            source: .http(
                url: "/books", items: try ValuePath(parsing: "$.skus"), sku: "sku", stock: "stock", sold: "sold",
                reserved: nil))
        var aggregator = RunAggregator(plan: try Self.plan(), scenario: record.scenario)
        aggregator.apply(.started(startNanos: 5))
        aggregator.apply(.books(.before, InventoryBooks(second: -1, items: ["X": BookEntry(stock: 10, sold: 0)])))
        aggregator.add(IntervalReport(worker: "w", second: 0))
        let report = aggregator.report(record: record)
        #expect(report.run.interrupted)
        #expect(report.run.startMonotonicNanos == 5)
        #expect(report.unknowns?.contains { $0.contains("books were not read after the run") } == true)
        aggregator.apply(.books(.after, InventoryBooks(second: 9, items: ["X": BookEntry(stock: 10, sold: 0)])))
        aggregator.apply(.ended(actualSeconds: 9.5, interrupted: false, reason: nil))
        let finished = aggregator.report(record: record)
        #expect(!finished.run.interrupted)
        #expect(finished.run.actualSeconds == 9.5)
        #expect(finished.unknowns == nil)
    }

}
