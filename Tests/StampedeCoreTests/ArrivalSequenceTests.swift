import Testing

@testable import StampedeCore

struct ArrivalSequenceTests {
    static func plan(rate: Double = 200, seconds: Double = 20) throws -> Plan {
        try Plan(
            profile: Profile(name: "ramp", shape: .stages([Stage(duration: seconds, from: 0.2, to: 1)])),
            scale: RunScale(peakRate: rate, compression: .speed(1)))
    }

    @Test func theSameSeedGivesTheSameArrivals() throws {
        let plan = try Self.plan()
        let a = Array(ArrivalSequence(plan: plan, process: .poisson, seed: 7))
        let b = Array(ArrivalSequence(plan: plan, process: .poisson, seed: 7))
        let c = Array(ArrivalSequence(plan: plan, process: .poisson, seed: 8))
        #expect(a == b)
        #expect(a != c)
        #expect(a.map(\.index) == (0..<UInt64(a.count)).map { $0 })
        #expect(zip(a, a.dropFirst()).allSatisfy { $0.time <= $1.time })
        #expect(a.allSatisfy { $0.time >= 0 && $0.time < plan.duration })
    }

    @Test func uniformArrivalsFollowThePlanWithinOne() throws {
        let plan = try Self.plan()
        let arrivals = Array(ArrivalSequence(plan: plan, process: .uniform, seed: 1))
        #expect(abs(Double(arrivals.count) - plan.expectedTotal) <= 1)
        for t in stride(from: 1.0, to: 20, by: 1) {
            let count = arrivals.filter { $0.time < t }.count
            #expect(abs(Double(count) - plan.expectedArrivals(upTo: t)) <= 1, "at \(t) s")
        }
    }

    @Test(arguments: [1, 2, 3, 99])
    func poissonCountsStayWithinFourSigmas(seed: UInt64) throws {
        let plan = try Self.plan(rate: 500)
        let count = Double(ArrivalSequence(plan: plan, process: .poisson, seed: seed).reduce(0) { n, _ in n + 1 })
        let expected = plan.expectedTotal
        #expect(abs(count - expected) < 4 * expected.squareRoot(), "count \(count), expected \(expected)")
    }

    @Test(arguments: [2, 3, 7])
    func sharesTogetherAreExactlyTheWhole(workers: Int) throws {
        let plan = try Self.plan()
        let whole = Array(ArrivalSequence(plan: plan, process: .poisson, seed: 3))
        let shares = Share.equalShares(workers)
        let parts = shares.map { Array(ArrivalSequence(plan: plan, process: .poisson, seed: 3, share: $0)) }
        let union = parts.flatMap { $0 }.sorted { $0.index < $1.index }
        #expect(union == whole)
        for part in parts {
            let fraction = Double(part.count) / Double(whole.count)
            #expect(abs(fraction - 1 / Double(workers)) < 0.02, "a share got \(part.count) of \(whole.count)")
        }
    }

    @Test func takeReturnsWhatIsDueAndNoMore() throws {
        let plan = try Self.plan()
        var sequence = ArrivalSequence(plan: plan, process: .uniform, seed: 1)
        let first = sequence.take(dueBy: 1.0)
        #expect(!first.isEmpty)
        #expect(first.allSatisfy { $0.time <= 1.0 })
        let peeked = sequence.peekTime()
        let next = try #require(peeked)
        #expect(next > 1.0)
        #expect(sequence.take(dueBy: 0.5).isEmpty)
        #expect(sequence.next()?.time == next)
    }

    /// Walks the sequence one arrival at a time up to (not including) `limit`: how many it takes.
    static func walk(_ sequence: inout ArrivalSequence, before limit: Double) -> Int {
        var count = 0
        while let time = sequence.peekTime(), time < limit {
            _ = sequence.next()
            count += 1
        }
        return count
    }

    @Test(arguments: [ShareSchedule.whole, ShareSchedule(Share.equalShares(3)[1])])
    func aUniformSkipTakesExactlyWhatTheWalkWould(schedule: ShareSchedule) throws {
        let plan = try Self.plan(rate: 5_000)
        var walked = ArrivalSequence(plan: plan, process: .uniform, seed: 1, schedule: schedule)
        var skipped = walked
        // From the start, then after an arrival looked at (and so taken by the skip), then up to the end.
        for limit in [2.5, 7.25, plan.duration + 1] {
            _ = walked.peekTime()
            _ = skipped.peekTime()
            #expect(skipped.skip(before: limit) == Self.walk(&walked, before: limit), "before \(limit)")
            #expect(skipped.next() == walked.next())
        }
        #expect(skipped.next() == nil)
    }

    @Test func aPoissonSkipDrawsAsManyAsThePlanExpectsAndGoesOnAfter() throws {
        let plan = try Self.plan(rate: 1_000)
        var counts: [Double] = []
        for seed in UInt64(1)...200 {
            var sequence = ArrivalSequence(plan: plan, process: .poisson, seed: seed)
            let early = Self.walk(&sequence, before: 1)
            let count = early + sequence.skip(before: 6)
            counts.append(Double(count))
            let following = sequence.next()
            let next = try #require(following)
            #expect(next.time >= 6)
            #expect(next.index == UInt64(count), "the shape's indices go on from the skip")
            #expect(sequence.skip(before: 5.5) == 0, "nothing is left before where it stands")
        }
        let expected = plan.expectedArrivals(upTo: 6)
        let mean = counts.reduce(0, +) / Double(counts.count)
        let variance = counts.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(counts.count - 1)
        // Poisson: the variance equals the mean. The mean of 200 draws strays by σ/√200 at most four times over.
        #expect(abs(mean - expected) < 4 * (expected / 200).squareRoot(), "mean \(mean), expected \(expected)")
        #expect(abs(variance / expected - 1) < 0.3, "variance \(variance), expected \(expected)")
    }

    @Test func aSkipStopsAtABurstShopperAndAtAChangeOfShare() throws {
        let plan = try BurstTests.plan()
        let burstAt = plan.realTime(ofBurst: 0)
        var sequence = ArrivalSequence(plan: plan, process: .uniform, seed: 1)
        var walked = sequence
        let before = sequence.skip(before: burstAt + 0.5)
        #expect(before == Self.walk(&walked, before: burstAt))
        #expect(sequence.next()?.burst == 0)
        #expect(sequence.skip(before: burstAt + 0.5) == 0, "a burst shopper is next again")

        var changing = ShareSchedule(.whole)
        changing.change(to: Share.equalShares(2)[0], from: 10)
        var shared = ArrivalSequence(plan: plan, process: .uniform, seed: 1, schedule: changing)
        var sharedWalk = shared
        #expect(shared.skip(before: 30) == Self.walk(&sharedWalk, before: 10), "it stops where the share changes")
        #expect(shared.skip(before: 30) == Self.walk(&sharedWalk, before: 30), "and goes on with the new share")
    }

    @Test(arguments: [0.3, 4, 9.99, 10, 57, 1_000, 50_000_000])
    func poissonCountsHaveTheirMeanAndVariance(mean: Double) {
        var random = SeededRandom(seed: 11)
        let draws = (0..<20_000).map { _ in Double(random.nextPoisson(mean: mean)) }
        let average = draws.reduce(0, +) / Double(draws.count)
        let variance = draws.map { ($0 - average) * ($0 - average) }.reduce(0, +) / Double(draws.count - 1)
        #expect(draws.allSatisfy { $0 >= 0 && $0 == $0.rounded() })
        #expect(abs(average - mean) < 5 * (mean / Double(draws.count)).squareRoot(), "mean \(average)")
        #expect(abs(variance / mean - 1) < 0.06, "variance \(variance)")
        #expect(random.nextPoisson(mean: 0) == 0)
    }
}

struct ShareTests {
    @Test(arguments: [[1], [1, 1], [1, 2, 3], [5, 0, 5], [1, 1, 1, 1, 1, 1, 1], [1_000_000, 1, 3]])
    func splitsPartitionTheCircle(weights: [UInt64]) {
        let parts = Share.whole.split(weights: weights)
        #expect(parts.count == weights.count)
        let ranges = parts.flatMap(\.ranges).sorted { $0.lowerBound < $1.lowerBound }
        #expect(ranges.first?.lowerBound == 0)
        #expect(ranges.last?.upperBound == UInt64.max)
        for (a, b) in zip(ranges, ranges.dropFirst()) { #expect(a.upperBound &+ 1 == b.lowerBound) }
        let total = Double(weights.reduce(0, +))
        for (part, weight) in zip(parts, weights) {
            #expect(abs(part.fraction - Double(weight) / total) < 1e-12)
            if weight == 0 { #expect(part.ranges.isEmpty) }
        }
    }

    @Test func everyArrivalHasExactlyOneOwner() {
        let parts = Share.equalShares(5)
        for index in UInt64(0)..<10_000 {
            #expect(parts.filter { $0.owns(arrival: index) }.count == 1)
        }
    }

    @Test func aSubShareSplitsAgain() {
        let parts = Share.equalShares(3)
        let again = parts[1].split(weights: [1, 1])
        #expect(abs(again[0].fraction + again[1].fraction - parts[1].fraction) < 1e-12)
        let merged = again[0].merged(with: again[1])
        for index in UInt64(0)..<5_000 { #expect(merged.owns(arrival: index) == parts[1].owns(arrival: index)) }
    }
}
