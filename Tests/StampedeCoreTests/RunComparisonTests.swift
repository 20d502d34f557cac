import Testing

@testable import StampedeCore

/// `stampede compare`: a regression is worse than the tolerance, the floor and the noise between the two runs.
struct RunComparisonTests {
    typealias Second = (histogram: SparseHistogram, counts: RequestCounts)

    /// `seconds` seconds of `perSecond` requests each, their latencies (ms) drawn by `latency(second, index)`.
    static func step(
        seconds: Int = 20, perSecond: Int = 50, failed: Int = 0, latency: (Int, Int) -> Double
    ) -> [Int: Second] {
        var out: [Int: Second] = [:]
        for second in 0..<seconds {
            var histogram = LatencyHistogram()
            for index in 0..<perSecond { histogram.record(microseconds: UInt64(latency(second, index) * 1000)) }
            var counts = RequestCounts()
            counts.requests = perSecond
            counts.failed = failed
            counts.ok = perSecond - failed
            out[second] = (histogram.sparse, counts)
        }
        return out
    }

    /// Latencies spread evenly from `low` to `high` ms within each second.
    static func spread(_ low: Double, _ high: Double, perSecond: Int = 50) -> (Int, Int) -> Double {
        { _, index in low + (high - low) * Double(index) / Double(perSecond - 1) }
    }

    static func series(
        _ id: String, _ steps: [String: [Int: Second]], inventory: [InventoryVerdict] = []
    ) -> RunComparison.Series {
        var report = RunJudgementTests.report(inventory: inventory)
        report.steps = steps.keys.sorted().map { name in
            let parts = name.split(separator: "/")
            return StepSummary(
                flow: String(parts[0]), step: String(parts[1]), requests: RequestCounts(), corrected: .empty,
                uncorrected: .empty)
        }
        return RunComparison.Series(id: id, seconds: steps, report: report)
    }

    @Test func theSameFiguresAreNoRegression() {
        let steps = [
            "shop/browse": Self.step(latency: Self.spread(1, 9)), "shop/order": Self.step(latency: Self.spread(2, 30)),
        ]
        let comparison = RunComparison.compare(Self.series("a", steps), Self.series("b", steps))
        #expect(comparison.regressions.isEmpty)
        #expect(comparison.rows.filter { $0.change == .improvement }.isEmpty)
    }

    /// 20 ms more on one step: that step regresses in every quantile it can judge (a p99.9 of 1,000 requests has
    /// one request beyond it: not judged); the other step does not.
    @Test func aSlowerStepRegressesAndOnlyThatStep() {
        let base = [
            "shop/browse": Self.step(latency: Self.spread(1, 9)), "shop/order": Self.step(latency: Self.spread(2, 30)),
        ]
        var slower = base
        slower["shop/order"] = Self.step(latency: Self.spread(22, 50))
        let comparison = RunComparison.compare(Self.series("a", base), Self.series("b", slower))
        #expect(Set(comparison.regressions.map(\.subject)) == ["shop/order"])
        #expect(Set(comparison.regressions.map(\.figure)) == ["p50 ms", "p90 ms", "p99 ms"])
        #expect(comparison.rows.first { $0.subject == "shop/order" && $0.figure == "p99.9 ms" }?.change == .unjudged)
        let p50 = comparison.regressions.first { $0.figure == "p50 ms" }
        #expect(p50?.note?.hasPrefix("worse by ") == true)
        // Back again is an improvement, not a regression.
        let back = RunComparison.compare(Self.series("b", slower), Self.series("a", base))
        #expect(back.regressions.isEmpty)
        #expect(back.rows.filter { $0.change == .improvement }.count == 3)
    }

    /// A base run whose seconds differ widely (every other second 30 ms slower): a 20 % change in p50 is within
    /// the noise its own seconds show.
    @Test func aChangeWithinTheNoiseOfTheSecondsIsNoRegression() {
        let noisy = Self.step(latency: { second, index in (second % 2 == 0 ? 10 : 40) + Double(index % 5) })
        let shifted = Self.step(latency: { second, index in (second % 2 == 0 ? 12 : 48) + Double(index % 5) })
        let comparison = RunComparison.compare(
            Self.series("a", ["shop/browse": noisy]), Self.series("b", ["shop/browse": shifted]))
        let p50 = comparison.rows.first { $0.figure == "p50 ms" }
        #expect(p50?.change == .unchanged, "\(String(describing: p50))")
        #expect((p50?.noise ?? 0) > 8)
    }

    /// A flash sale's crowd, within one second: one event per run, whose spread between runs neither run shows.
    /// Its figures are shown, never judged, however different.
    @Test func aStepWithinASecondIsShownNotJudged() {
        let base = Self.step(seconds: 1, perSecond: 1_000, latency: Self.spread(10, 100, perSecond: 1_000))
        let slower = Self.step(seconds: 1, perSecond: 1_000, latency: Self.spread(40, 400, perSecond: 1_000))
        let comparison = RunComparison.compare(
            Self.series("a", ["flash/order": base]), Self.series("b", ["flash/order": slower]))
        #expect(comparison.regressions.isEmpty, "\(comparison.regressions)")
        let rows = comparison.rows.filter { $0.subject == "flash/order" }
        #expect(rows.count == 6)
        #expect(rows.allSatisfy { $0.change == .unjudged && $0.note?.contains("1 second of a run") == true })
    }

    /// Every second alike (their bootstrap spread is nil), few requests each: the sampling spread from the number
    /// of requests is the noise, and a change inside it is not a regression; a p99 of 200 requests (2 beyond it)
    /// is not judged.
    @Test func theSamplingSpreadIsTheNoiseWhenTheSecondsAgree() {
        let base = Self.step(perSecond: 10, latency: Self.spread(10, 100, perSecond: 10))
        let shifted = Self.step(perSecond: 10, latency: Self.spread(12, 102, perSecond: 10))
        let comparison = RunComparison.compare(
            Self.series("a", ["shop/browse": base]), Self.series("b", ["shop/browse": shifted]))
        let p50 = comparison.rows.first { $0.figure == "p50 ms" }
        #expect(p50?.change == .unchanged, "\(String(describing: p50))")
        #expect((p50?.noise ?? 0) > 10)
        let p99 = comparison.rows.first { $0.figure == "p99 ms" }
        #expect(p99?.change == .unjudged)
        #expect(p99?.note == "not judged: 200 requests, 10 needed beyond the quantile")
    }

    @Test func aRateRegressesPastItsFloorAndItsNoise() {
        let base = ["shop/browse": Self.step(latency: Self.spread(1, 9))]
        let failing = ["shop/browse": Self.step(failed: 5, latency: Self.spread(1, 9))]
        let comparison = RunComparison.compare(Self.series("a", base), Self.series("b", failing))
        #expect(comparison.regressions.map(\.figure) == ["error rate"])
    }

    @Test func aVerdictThatWasOKAndFailsIsARegression() {
        let steps = ["shop/browse": Self.step(latency: Self.spread(1, 9))]
        var fine = RunJudgementTests.oversold
        fine.oversold = 0
        fine.negativeStock = false
        fine.bookedByTarget = 1
        fine.confirmedUnits = 1
        fine.finalStock = 0
        let comparison = RunComparison.compare(
            Self.series("a", steps, inventory: [fine]), Self.series("b", steps, inventory: [RunJudgementTests.oversold])
        )
        let verdict = comparison.regressions.first { $0.figure == "oversell verdict" }
        #expect(verdict?.subject == "X")
        #expect(verdict?.note == "ok → OVERSOLD by 1, NEGATIVE STOCK")
    }

    /// A drill that failed over before and never does now has lost its failover: a regression. Two failover times
    /// are one event each, shown and not judged; an UNVERIFIED drill's time is not judged either.
    @Test func aFailoverThatNoLongerHappensIsARegression() {
        let steps = ["shop/browse": Self.step(latency: Self.spread(1, 9))]
        let fault = [FaultWindow(channel: "alipay", kind: .timeout, from: 10, until: 20)]
        func drill(failoverAt second: Double?, channels: [String] = ["alipay", "wechat"]) -> RunComparison.Series {
            var series = Self.series("run", steps)
            let events =
                [PaymentEvent(order: "1", outcome: .paid, channel: "alipay", at: 5_000_000)]
                + (second.map { [PaymentEvent(order: "2", outcome: .paid, channel: "wechat", at: UInt64($0 * 1e6))] }
                    ?? [])
            series.report.payments = PaymentVerifier.verdict(
                primary: "alipay", faults: fault, events: events,
                charges: events.map {
                    ChargeRecord(
                        id: $0.order, order: $0.order, amount: 1, idempotencyKey: nil, succeeded: true,
                        channel: $0.channel!)
                }, orders: nil, problem: nil, channels: channels)
            return series
        }
        func row(_ base: RunComparison.Series, _ new: RunComparison.Series) -> RunComparison.Row? {
            RunComparison.compare(base, new).rows.first { $0.figure == "failover s" }
        }
        let lost = row(drill(failoverAt: 10.5), drill(failoverAt: nil))
        #expect(lost?.change == .regression)
        #expect(lost?.note == "no payment went through a backup: after 0.5 s → never")
        #expect(row(drill(failoverAt: nil), drill(failoverAt: 12))?.change == .improvement)
        #expect(row(drill(failoverAt: 10.5), drill(failoverAt: 15))?.change == .unjudged)
        #expect(row(drill(failoverAt: 10.5), drill(failoverAt: 12, channels: ["alipay"]))?.change == .unjudged)
    }

    /// Steps too short to judge and no verdict: the comparison judged nothing about the target, and says why, each
    /// reason once. One judged step, or one verdict compared, is enough to judge something.
    @Test func stepsTooShortAndNoVerdictJudgeNothing() {
        let short = Self.step(seconds: 4, perSecond: 100, latency: Self.spread(1, 9, perSecond: 100))
        let nothing = RunComparison.compare(
            Self.series("a", ["shop/browse": short, "shop/cart": short]),
            Self.series("b", ["shop/browse": short, "shop/cart": short]))
        #expect(nothing.regressions.isEmpty)
        #expect(nothing.judgedNothing)
        #expect(
            nothing.unjudgedReasons == [
                "shop/browse: requests in 4 seconds of a run, 10 needed to measure the noise",
                "shop/cart: requests in 4 seconds of a run, 10 needed to measure the noise",
            ])

        let long = Self.step(latency: Self.spread(1, 9))
        #expect(
            !RunComparison.compare(
                Self.series("a", ["shop/browse": long, "shop/cart": short]),
                Self.series("b", ["shop/browse": long, "shop/cart": short])
            ).judgedNothing)
        var fine = RunJudgementTests.oversold
        fine.oversold = 0
        fine.negativeStock = false
        #expect(
            !RunComparison.compare(
                Self.series("a", ["shop/cart": short], inventory: [fine]),
                Self.series("b", ["shop/cart": short], inventory: [fine])
            ).judgedNothing)
    }

    /// Two runs that played different things are compared all the same, and the comparison says how they differ.
    @Test func whatTheRunsPlayedDifferentlyIsNamed() {
        let steps = ["shop/browse": Self.step(latency: Self.spread(1, 9))]
        let base = Self.series("a", steps)
        #expect(RunComparison.compare(base, Self.series("b", steps)).differences.isEmpty)
        var other = Self.series("b", steps)
        other.report.run.scenario = "funnel"
        other.report.run.peakRate = 1_600
        other.report.run.speed = 2.0 / 3
        other.report.run.interrupted = true
        other.report.run.stopReason = "Ctrl-C"
        #expect(
            RunComparison.compare(base, other).differences == [
                "scenario s → funnel", "peak rate 1/s → 1600/s", "speed 1x → 0.6667x",
                "the new run stopped before its end (Ctrl-C)",
            ])
    }
}
