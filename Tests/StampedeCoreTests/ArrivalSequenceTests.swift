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
