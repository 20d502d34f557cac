import StampedeCore
import Testing

@testable import StampedeWorker

/// A leg handed to a waiting runner, the youngest first; the oldest ends when too many wait; a close ends them all.
/// (A mistake here is a runner that waits forever: hence the limit.)
@Suite(.timeLimit(.minutes(1)))
struct ShopperRunnersTests {
    /// Waits (at most 5 s) until `count` runners wait for a leg.
    static func untilWaiting(_ runners: ShopperRunners, _ count: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(5)
        while runners.idleCount < count {
            try #require(ContinuousClock.now < deadline, "\(runners.idleCount) runners wait, not \(count)")
            try await Task.sleep(for: .milliseconds(1))
        }
    }

    static func begin(_ index: UInt64) -> ShopperRunners.Leg {
        .begin(Arrival(index: index, time: 0), slot: 0)
    }

    static func arrivalIndex(_ leg: ShopperRunners.Leg?) -> UInt64? {
        guard case .begin(let arrival, _) = leg else { return nil }
        return arrival.index
    }

    /// Runners numbered in turn, each waiting for its leg (in order, so the test knows which waits); returns
    /// what each got, by number.
    static func waitingRunners(
        _ runners: ShopperRunners, count: Int, then body: () async throws -> Void
    ) async throws -> [Int: UInt64?] {
        try await withThrowingTaskGroup(of: (Int, UInt64?).self) { group in
            for waiting in 0..<count {
                let number = runners.enlist()
                group.addTask { (number, Self.arrivalIndex(await runners.next(runner: number))) }
                try await Self.untilWaiting(runners, waiting + 1)
            }
            try await body()
            var taken: [Int: UInt64?] = [:]
            for try await (number, index) in group { taken[number] = index }
            return taken
        }
    }

    @Test func aLegGoesToARunnerThatWaitsAndNoneIsHandedWithoutOne() async throws {
        let runners = ShopperRunners()
        // Nobody waits: the caller has to start a runner.
        #expect(!runners.hand(Self.begin(1)))
        let number = runners.enlist()
        async let first = runners.next(runner: number)
        try await Self.untilWaiting(runners, 1)
        #expect(runners.hand(.begin(Arrival(index: 2, time: 0), slot: 3)))
        let leg = await first
        guard case .begin(let arrival, let slot) = leg else {
            Issue.record("handed \(String(describing: leg))")
            return
        }
        #expect(arrival.index == 2 && slot == 3)
        #expect(runners.idleCount == 0)
        // The runner that took it no longer waits: the next leg has nobody to go to.
        #expect(!runners.hand(Self.begin(3)))
    }

    @Test func runnersAreNumberedInTurn() {
        let runners = ShopperRunners()
        #expect((0..<4).map { _ in runners.enlist() } == [0, 1, 2, 3])
    }

    @Test func eachWaitingRunnerTakesOneLegTheYoungestFirst() async throws {
        let runners = ShopperRunners()
        let taken = try await Self.waitingRunners(runners, count: 3) {
            for index in 10..<12 { #expect(runners.hand(Self.begin(UInt64(index)))) }
            // The oldest is left waiting; closing ends it.
            #expect(runners.idleCount == 1)
            runners.close()
        }
        #expect(taken == [2: 10, 1: 11, 0: nil])
    }

    @Test func whenTooManyWaitTheOldestEnds() async throws {
        let runners = ShopperRunners(idleLimit: 2)
        let (oldest, middle, youngest) = (runners.enlist(), runners.enlist(), runners.enlist())
        async let oldestLeg = runners.next(runner: oldest)
        try await Self.untilWaiting(runners, 1)
        async let middleLeg = runners.next(runner: middle)
        try await Self.untilWaiting(runners, 2)
        // A third, younger, comes to wait: the oldest ends, at once, and the third waits in its place.
        async let youngestLeg = runners.next(runner: youngest)
        let ended = await oldestLeg
        #expect(ended == nil)
        #expect(runners.idleCount == 2)
        #expect(runners.hand(Self.begin(7)))
        let handed = await youngestLeg
        #expect(Self.arrivalIndex(handed) == 7)
        runners.close()
        let closed = await middleLeg
        #expect(closed == nil)
    }

    @Test func aRunnerOlderThanAllWaitingEndsAtOnceWhenTooManyWait() async throws {
        let runners = ShopperRunners(idleLimit: 1)
        let old = runners.enlist()
        let taken = try await Self.waitingRunners(runners, count: 1) {
            #expect(await runners.next(runner: old) == nil)
            #expect(runners.idleCount == 1)
            runners.close()
        }
        #expect(taken == [1: nil])
    }

    @Test func closingEndsTheWaitingRunnersAndTheOnesStillRunning() async throws {
        let runners = ShopperRunners()
        let taken = try await Self.waitingRunners(runners, count: 2) { runners.close() }
        #expect(taken == [0: nil, 1: nil])
        // One that finishes its leg after the close does not wait.
        #expect(await runners.next(runner: runners.enlist()) == nil)
        #expect(runners.idleCount == 0)
        #expect(!runners.hand(Self.begin(1)))
    }
}
