import Testing

@testable import StampedeCore

struct ThresholdParserTests {
    @Test(arguments: [
        "p99(buyer/order) < 300ms", "p99.9(all) < 1s", "error_rate(all) < 1%", "rate(429) < 5%", "dropped == 0",
        "arrivals >= 99% of plan", "oversold == 0", "phantom == 0", "leaked == 0", "double_charges == 0",
        "orphan_charges == 0", "uncharged_orders == 0", "failover_time < 2s",
    ])
    func theIssuesExamplesParse(_ text: String) throws {
        let threshold = try ThresholdParser.parse(text)
        #expect(threshold.source == text)
        #expect(!threshold.abortOnFail)
    }

    /// What can still go either way is taken: at the ends of what a figure can be, and beyond one end the other way.
    @Test(arguments: [
        "error_rate(all) < 100%", "error_rate(all) > 0%", "dropped == 0", "dropped <= 0", "p99(all) > 0ms",
    ])
    func aThresholdThatCanGoEitherWayIsTaken(_ text: String) throws {
        _ = try ThresholdParser.parse(text)
    }

    @Test func figuresBoundsAndScopesReadAsMeant() throws {
        let order = try ThresholdParser.parse("p99(buyer/order) < 300ms")
        #expect(
            order.metric == .latency(.percentile(99), uncorrected: false, .step(flow: "buyer", step: "order"), .run))
        #expect(order.comparison == .less && order.bound == 300)
        let tail = try ThresholdParser.parse("unc:p99.9(buyer @ 10:00) <= 1.5s")
        #expect(tail.metric == .latency(.percentile(99.9), uncorrected: true, .flow("buyer"), .period("10:00")))
        #expect(tail.bound == 1_500)
        let burst = try ThresholdParser.parse("max(all @ burst \"first 100 at half price\") < 2s abort after 10s")
        #expect(burst.metric == .latency(.max, uncorrected: false, .all, .burst("first 100 at half price")))
        #expect(burst.abortOnFail && burst.delay == 10)
        let errors = try ThresholdParser.parse("error_rate(buyer/pay @ stage ramp) < 0.5%")
        #expect(errors.metric == .errorRate(.step(flow: "buyer", step: "pay"), .period("ramp")))
        #expect(abs(errors.bound - 0.005) < 1e-12)
        let throttled = try ThresholdParser.parse("rate(429, buyer/order) < 5%")
        #expect(throttled.metric == .rate("429", .step(flow: "buyer", step: "order"), .run))
        #expect(try ThresholdParser.parse("arrivals >= 0.99").bound == 0.99)
        #expect(try ThresholdParser.parse("failover_time < 2s").bound == 2)
        #expect(try ThresholdParser.parse("error_rate(all) < 1% abort").abortOnFail)
    }

    @Test(arguments: [
        ("p99(all) < 300", 11, "expected a duration"),
        ("p99(all) << 300ms", 10, "expected a number"),
        ("latency(all) < 1s", 0, "expected a figure such as"),
        ("p99(all < 1s", 8, "expected \")\""),
        ("dropped == 0.5", 11, "expected a whole number"),
        ("oversold == 0 abort", 0, "known only after the run"),
        ("error_rate(all) < 1% eventually", 21, "unexpected"),
        // Decided before the run: they passed or failed every run whatever it measured.
        (
            "rate(429) < 5", 12,
            "always holds, so it passes every run: a share is 0% to 100% (5 reads as 500%; write 5%)"
        ),
        ("error_rate(all) < 2.5", 18, "(2.5 reads as 250%; write 2.5%)"),
        ("error_rate(all) <= 100%", 19, "always holds"),
        ("error_rate(all) > 100%", 18, "can never hold, so it fails every run"),
        ("dropped < 0", 10, "can never hold, so it fails every run: it is never below 0"),
        ("p99(all) >= 0ms", 12, "always holds"),
        ("failover_time != -0s", 17, "expected a number"),
    ])
    func mistakesAreNamedWhereTheyAre(_ text: String, _ offset: Int, _ message: String) {
        #expect {
            _ = try ThresholdParser.parse(text)
        } throws: { error in
            guard let problem = error as? ThresholdParser.Problem else { return false }
            return problem.offset == offset && problem.message.contains(message)
        }
    }
}

struct ThresholdEvaluationTests {
    static let scenario = Scenario(
        name: "s",
        flows: [
            Flow(
                name: "buyer",
                steps: [
                    Step(name: "browse", path: Template(literal: "/")),
                    Step(name: "order", path: Template(literal: "/o")),
                ]),
            Flow(name: "looker", steps: [Step(name: "browse", path: Template(literal: "/"))]),
        ])

    static func plan() throws -> Plan {
        try Plan(
            profile: Profile(name: "p", shape: .hourly([1, 1])),
            scale: RunScale(peakRate: 10, compression: .duration(2)))
    }

    static func step(_ id: StepID, slot: Int, latencies: [UInt64], failed: Int = 0, throttled: Int = 0) -> StepRecord {
        var histogram = LatencyHistogram()
        for value in latencies { histogram.record(microseconds: value) }
        var counts = RequestCounts()
        counts.requests = latencies.count
        counts.failed = failed
        counts.throttled = throttled
        counts.ok = latencies.count - failed - throttled
        if failed > 0 { counts.errors[.status5xx] = failed }
        return StepRecord(
            slot: slot, step: id, counts: counts, corrected: histogram.sparse, uncorrected: histogram.sparse)
    }

    /// Two workers: one fast, one slow on the order step. The thresholds read the merged histogram (its p99 is the
    /// slow worker's), never an average of the two workers' p99s.
    static func aggregator(workers: [[StepRecord]]) throws -> RunAggregator {
        var aggregator = RunAggregator(plan: try plan(), scenario: scenario)
        for (index, steps) in workers.enumerated() {
            var arrivals = ArrivalCounts()
            arrivals.planned = 10
            arrivals.started = 9
            arrivals.dropped = 1
            arrivals.succeeded = 9
            aggregator.add(
                IntervalReport(
                    worker: "w\(index)", second: 0, slots: [SlotRecord(slot: 0, counts: arrivals)], steps: steps))
        }
        return aggregator
    }

    @Test func latencyAndRatesAreReadFromTheMergedFigures() throws {
        let order = StepID(flow: 0, step: 1)
        let aggregator = try Self.aggregator(workers: [
            [Self.step(order, slot: 0, latencies: Array(repeating: 1_000, count: 99))],
            [Self.step(order, slot: 1, latencies: [400_000], failed: 1)],
        ])
        func outcome(_ text: String) throws -> ThresholdResult {
            aggregator.evaluate(try ThresholdParser.parse(text), verdicts: nil)
        }
        // 99 requests at 1 ms, 1 at 400 ms: p99 is 1 ms, max is 400 ms (p99 of each worker averaged would be 200 ms).
        #expect(try outcome("p99(buyer/order) < 2ms").outcome == .passed)
        #expect(try outcome("max(buyer) < 300ms").outcome == .failed)
        #expect(try outcome("p99(buyer/order @ 01:00) < 300ms").observedText == "400 ms")
        #expect(try outcome("p99(buyer/order @ 00:00) < 300ms").outcome == .passed)
        let errors = try outcome("error_rate(all) < 0.5%")
        #expect(errors.outcome == .failed && errors.observed == 0.01 && errors.observedText == "1.0%")
        #expect(try outcome("rate(5xx) <= 1%").outcome == .passed)
        #expect(try outcome("dropped == 0").observedText == "2")
        let nobody = try outcome("p99(looker/browse) < 1s")
        #expect(nobody.outcome == .failed && nobody.reason == "no requests")
        #expect(try outcome("p99(nobody) < 1s").reason == "the scenario has no flow \"nobody\"")
        #expect(try outcome("oversold == 0").outcome == .unverified)
    }

    @Test func verdictFiguresComeFromTheVerdicts() throws {
        let aggregator = try Self.aggregator(workers: [])
        let oversold = InventoryVerdict(
            sku: "X", verified: true, problem: nil, initialStock: 100, confirmedUnits: 120, confirmations: 120,
            soldOutTold: 5, failedAttempts: 0, bookedByTarget: 120, released: 0, finalStock: -20, reservedAtEnd: 0,
            oversold: 20, negativeStock: true, phantom: 0, unannounced: 0, leaked: 0, soldOutAt: 1, firstOversoldAt: 2)
        var unverified = oversold
        unverified.verified = false
        unverified.problem = "the books were not read"
        let verdicts = RunAggregator.Verdicts(inventory: [oversold], payments: nil)
        #expect(aggregator.evaluate(try ThresholdParser.parse("oversold == 0"), verdicts: verdicts).observed == 20)
        #expect(aggregator.evaluate(try ThresholdParser.parse("phantom == 0"), verdicts: verdicts).outcome == .passed)
        let cannot = aggregator.evaluate(
            try ThresholdParser.parse("oversold == 0"), verdicts: .init(inventory: [unverified], payments: nil))
        #expect(cannot.outcome == .unverified)
        #expect(cannot.reason?.contains("the books were not read") == true)
        #expect(
            aggregator.evaluate(try ThresholdParser.parse("double_charges == 0"), verdicts: verdicts).outcome
                == .unverified)
        let told = PaymentEvent(order: "1", outcome: .paid, channel: "alipay", at: 1)
        let payments = PaymentVerifier.verdict(
            primary: "alipay", faults: [], events: [told], charges: [], orders: nil, problem: nil)
        let uncharged = aggregator.evaluate(
            try ThresholdParser.parse("uncharged_orders == 0"), verdicts: .init(inventory: [], payments: payments))
        #expect(uncharged.outcome == .failed && uncharged.observed == 1)
        // No fault on the primary: no failover to time, not "never".
        let backup = PaymentVerifier.verdict(
            primary: "alipay", faults: [FaultWindow(channel: "wechat", kind: .error, from: 0, until: 5)],
            events: [told],
            charges: [], orders: nil, problem: nil)
        let failover = aggregator.evaluate(
            try ThresholdParser.parse("failover_time < 2s"), verdicts: .init(inventory: [], payments: backup))
        #expect(failover.outcome == .unverified && failover.reason?.contains("no fault hit the primary") == true)
    }
}

struct RunJudgementTests {
    static func report(
        interrupted: Bool = false, thresholds: [ThresholdResult] = [], inventory: [InventoryVerdict] = [],
        lost: Int = 0, answered: Int = 10, failed: Int = 0
    ) -> RunReport {
        let empty = LatencySummary.empty
        var requests = RequestCounts()
        requests.requests = answered + failed
        requests.ok = answered
        requests.failed = failed
        return RunReport(
            run: RunInfo(
                id: "r", profile: "p", profileTitle: "", timeZone: "UTC", scenario: "s", target: "http://127.0.0.1:1",
                seed: 1, arrivals: .uniform, peakRate: 1, speed: 1, window: "", plannedSeconds: 1, actualSeconds: 1,
                startedAt: "", workers: 1, maxShoppers: 1, connections: 1, interrupted: interrupted),
            totals: Totals(
                expected: 1, shoppers: ArrivalCounts(), requests: requests, corrected: empty, uncorrected: empty),
            steps: [], periods: [], spikes: [], timeline: [],
            workers: (0..<lost).map {
                WorkerSummary(name: "w\($0)", status: .lost, intervals: 1, shoppers: ArrivalCounts())
            },
            inventory: inventory, thresholds: thresholds)
    }

    static let failed = ThresholdResult(
        threshold: "p99(all) < 1ms", outcome: .failed, observed: 5, observedText: "5 ms", boundText: "< 1 ms")
    static let unverified = ThresholdResult(
        threshold: "oversold == 0", outcome: .unverified, observed: nil, observedText: "?", boundText: "== 0")
    static let oversold = InventoryVerdict(
        sku: "X", verified: true, problem: nil, initialStock: 1, confirmedUnits: 2, confirmations: 2, soldOutTold: 0,
        failedAttempts: 0, bookedByTarget: 2, released: nil, finalStock: -1, reservedAtEnd: 0, oversold: 1,
        negativeStock: true, phantom: 0, unannounced: 0, leaked: 0, soldOutAt: nil, firstOversoldAt: nil)

    @Test func theMostSeriousFindingDecides() {
        #expect(RunJudgement.of(Self.report()).status == .ok)
        #expect(RunJudgement.of(Self.report(thresholds: [Self.unverified])).status == .verdictUnverified)
        #expect(RunJudgement.of(Self.report(thresholds: [Self.failed, Self.unverified])).status == .thresholdFailed)
        #expect(
            RunJudgement.of(Self.report(thresholds: [Self.failed], inventory: [Self.oversold])).status == .verdictFailed
        )
        #expect(
            RunJudgement.of(
                Self.report(thresholds: [Self.failed], inventory: [Self.oversold]), gate: .init(failOnVerdict: false)
            )
            .status == .thresholdFailed)
        #expect(RunJudgement.of(Self.report(interrupted: true, inventory: [Self.oversold])).status == .incomplete)
        #expect(RunJudgement.of(Self.report(lost: 1)).status == .incomplete)
        #expect(RunJudgement.of(Self.report(lost: 1), gate: .init(maxLostWorkers: 1)).status == .ok)
        // Without thresholds, a run in which every request failed did not rehearse anything.
        let nothing = RunJudgement.of(Self.report(answered: 0, failed: 40))
        #expect(nothing.status == .incomplete)
        #expect(nothing.reasons == ["no request succeeded (40 sent, all failed): the rehearsal measured nothing"])
        #expect(RunJudgement.of(Self.report(answered: 0)).status == .incomplete)
        // A run an abort threshold stopped is that threshold's failure, not an incomplete run.
        var aborted = Self.failed
        aborted.abortedAt = 10.2
        let stopped = RunJudgement.of(Self.report(interrupted: true, thresholds: [aborted]))
        #expect(stopped.status == .thresholdFailed)
        #expect(stopped.reasons == ["p99(all) < 1ms: observed 5 ms"])
    }
}
