import Testing

@testable import StampedeCore

struct ReleasePacingTests {
    /// Pacing that has seen arrivals evenly spaced at `rate` a second for a second.
    static func paced(at rate: Double, from start: Double = 0) -> ReleasePacing {
        var pacing = ReleasePacing()
        for k in 0..<Int(rate) { pacing.observe(due: start + Double(k) / rate) }
        return pacing
    }

    @Test func noIntervalBeforeTwoArrivals() {
        var pacing = ReleasePacing()
        #expect(pacing.interval == 0)
        pacing.observe(due: 3)
        #expect(pacing.interval == 0)
        #expect(pacing.rate == 0)
    }

    @Test(arguments: [(2_000.0, 0.000_04), (10_000, 0.000_2), (25_000, 0.000_5), (50_000, 0.001), (200_000, 0.001)])
    func theIntervalGrowsWithTheRateUpToOneMillisecond(rate: Double, interval: Double) {
        let pacing = Self.paced(at: rate)
        #expect(abs(pacing.rate - rate) < rate * 1e-6, "rate \(pacing.rate)")
        #expect(abs(pacing.interval - interval) < 1e-9, "interval \(pacing.interval) at \(rate)/s")
    }

    @Test func aCrowdArrivingAtOnceGetsTheLongestInterval() {
        var pacing = ReleasePacing()
        for _ in 0..<100 { pacing.observe(due: 12.5) }
        #expect(pacing.rate == .infinity)
        #expect(pacing.interval == ReleasePacing.longest)
    }

    @Test func aLullShortensTheIntervalWithinAFewArrivals() {
        var pacing = Self.paced(at: 50_000)
        #expect(pacing.interval == ReleasePacing.longest)
        // Half a second with no arrivals, then a slow trickle: batching would only delay them.
        for k in 0..<4 { pacing.observe(due: 1.5 + Double(k) * 0.1) }
        #expect(pacing.interval < 0.000_01, "interval \(pacing.interval)")
    }

    @Test func anArrivalDueBeforeTheLastCountsAsNoGap() {
        var pacing = Self.paced(at: 1_000)
        let before = pacing.meanGap ?? 0
        // A late shopper of a crowd taken after the shape's next arrival: never a negative gap.
        pacing.observe(due: 0.5)
        #expect((pacing.meanGap ?? -1) >= 0)
        #expect((pacing.meanGap ?? 0) < before)
    }
}
