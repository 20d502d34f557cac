import StampedeClock
import StampedeCore
import Testing

@testable import StampedeCoordinator

struct ClusterStateMachineTests {
    static let second: Int64 = 1_000_000_000

    /// An instant, in nanoseconds.
    static func t(_ nanoseconds: Int64) -> MonotonicInstant { MonotonicInstant(nanoseconds: nanoseconds) }

    static func machine(workers: Int = 3, planSeconds: Double = 60) -> ClusterStateMachine {
        ClusterStateMachine(settings: .init(expectedWorkers: workers, planSeconds: planSeconds))
    }

    static func started(_ workers: Int = 3) -> ClusterStateMachine {
        var machine = machine(workers: workers)
        for index in 0..<workers { _ = machine.register(name: "w\(index + 1)", now: Self.t(0)) }
        return machine
    }

    @Test func theRunStartsWhenEveryoneIsHereWithEqualShares() {
        var machine = Self.machine()
        let firstWaits = machine.register(name: "w1", now: Self.t(0)).actions.isEmpty
        #expect(firstWaits)
        let secondWaits = machine.register(name: "w2", now: Self.t(10)).actions.isEmpty
        #expect(secondWaits)
        let (id, refusal, actions) = machine.register(name: "w3", now: Self.t(20))
        #expect(id == "w3" && refusal == nil)
        #expect(machine.phase == .running)
        #expect(machine.start == Self.t(20 + Self.second))
        let shares = actions.compactMap { action -> Share? in
            if case .assign(_, let share, 0, Self.t(Self.second + 20)) = action { share } else { nil }
        }
        #expect(shares == Share.equalShares(3))
    }

    /// Workers of 1, 2 and 1 cores take a quarter, a half and a quarter; a late one of 4 cores takes half of
    /// everything; the share of a lost one goes to the others by their capacity.
    @Test func sharesFollowWhatEachWorkerCanDo() {
        var machine = Self.machine()
        _ = machine.register(name: "small", capacity: 1, now: Self.t(0))
        _ = machine.register(name: "big", capacity: 2, now: Self.t(0))
        let started = machine.register(name: "other", capacity: 1, now: Self.t(0)).actions
        let fractions = started.compactMap { action -> Double? in
            if case .assign(_, let share, _, _) = action { share.fraction } else { nil }
        }
        #expect(fractions.map { ($0 * 1000).rounded() / 1000 } == [0.25, 0.5, 0.25])
        let late = machine.register(name: "huge", capacity: 4, now: Self.t(5 * Self.second)).actions
        let lateShare = late.compactMap { action -> Double? in
            if case .assign("huge", let share, _, _) = action { share.fraction } else { nil }
        }
        #expect(lateShare.map { ($0 * 1000).rounded() / 1000 } == [0.5])
        // "big" falls silent: its quarter goes 1 : 1 : 4 to the others.
        let big = machine.workers.first { $0.id == "big" }!.share.fraction
        for id in ["small", "other", "huge"] { machine.heard(id, now: Self.t(9 * Self.second)) }
        let lost = machine.tick(now: Self.t(10 * Self.second))
        let gained = lost.compactMap { action -> (String, Double)? in
            if case .reassign(let id, let share, _) = action { (id, share.fraction) } else { nil }
        }
        #expect(!gained.isEmpty)
        let before = [
            "small": 1.0 / 8, "other": 1.0 / 8, "huge": 0.5,
        ]
        for (id, fraction) in gained {
            let expected = before[id]! + big * Double(machine.workers.first { $0.id == id }!.capacity) / 6
            #expect(abs(fraction - expected) < 1e-9, "\(id): \(fraction) against \(expected)")
        }
    }

    /// Losing half of a 200-worker fleet: each lost share goes to at most a handful of heirs (a few messages per
    /// loss, not one to every survivor), shares stay whole (every key owned exactly once) and do not splinter.
    @Test func aLargeFleetLosingHalfItsWorkersHandsEachShareToAFewHeirs() {
        var machine = Self.started(200)
        let start = machine.start!.nanoseconds
        let survivors = Set((1...200).filter { $0.isMultiple(of: 2) }.map { "w\($0)" })
        for id in survivors { machine.heard(id, now: Self.t(start + 2 * Self.second)) }
        let actions = machine.tick(now: Self.t(start + 3 * Self.second))
        let lost = actions.filter { if case .lost = $0 { true } else { false } }
        let reassigned = actions.filter { if case .reassign = $0 { true } else { false } }
        #expect(lost.count == 100)
        #expect(reassigned.count <= 100 * ClusterStateMachine.heirsPerLoss)
        let shares = machine.workers.filter { survivors.contains($0.id) }.map(\.share)
        #expect(abs(shares.map(\.fraction).reduce(0, +) - 1) < 1e-9)
        var random = SeededRandom(seed: 3)
        for _ in 0..<2_000 {
            let key = random.next()
            #expect(shares.filter { share in share.ranges.contains { $0.contains(key) } }.count == 1)
        }
        #expect(shares.map(\.ranges.count).max()! <= 32)
    }

    @Test func namesAreMadeUnique() {
        var machine = Self.machine()
        let first = machine.register(name: "w", now: Self.t(0)).id
        #expect(first == "w")
        let second = machine.register(name: "w", now: Self.t(0)).id
        #expect(second == "w-2")
    }

    @Test func aSilentWorkerIsLostAndItsShareGoesToTheSurvivors() {
        var machine = Self.started()
        let start = machine.start!.nanoseconds
        // Everyone reports for 5 seconds; w2 falls silent after second 4.
        for second in 0..<5 {
            let now = start + Int64(second + 1) * Self.second
            for id in ["w1", "w2", "w3"] where !(id == "w2" && second == 4) {
                _ = machine.interval(id, second: second, now: Self.t(now))
            }
        }
        let quietTooSoon = machine.tick(now: Self.t(start + 6 * Self.second)).isEmpty
        #expect(quietTooSoon)
        let now = start + 6 * Self.second + Self.second / 10
        let actions = machine.tick(now: Self.t(now))
        guard case .lost("w2", let lost, let from, let to, _)? = actions.first else {
            Issue.record("w2 not lost: \(actions)")
            return
        }
        #expect(lost == Share.equalShares(3)[1])
        #expect(from == 4)
        #expect(to == 7)  // the first whole second at least 0.5 s away
        let reassigned = actions.compactMap { action -> Share? in
            if case .reassign(_, let share, 7) = action { share } else { nil }
        }
        #expect(reassigned.count == 2)
        #expect(abs(reassigned.map(\.fraction).reduce(0, +) - 1) < 1e-12)
        // Its late intervals are ignored.
        let accepted = machine.interval("w2", second: 5, now: Self.t(now))
        #expect(!accepted)
    }

    @Test func aDisconnectedWorkerIsLostAtOnce() {
        var machine = Self.started()
        let start = machine.start!.nanoseconds
        let actions = machine.disconnected("w1", now: Self.t(start + 2 * Self.second + 100))
        #expect(actions.contains { if case .lost("w1", _, _, _, _) = $0 { true } else { false } })
        #expect(machine.workers.first { $0.id == "w1" }?.status == .lost)
    }

    @Test func aLateWorkerTakesAnEqualShareFromTheNextSecond() {
        var machine = Self.started(2)
        let start = machine.start!.nanoseconds
        let (id, _, actions) = machine.register(name: "late", now: Self.t(start + 3 * Self.second + Self.second / 5))
        #expect(id == "late")
        let shares = Share.equalShares(3)
        #expect(actions.contains(.reassign(worker: "w1", share: shares[0], fromSecond: 4)))
        #expect(actions.contains(.reassign(worker: "w2", share: shares[1], fromSecond: 4)))
        #expect(actions.contains(.assign(worker: "late", share: shares[2], fromSecond: 4, start: Self.t(start))))
    }

    @Test func theRunCompletesWhenEveryoneFinishedOrWasLost() {
        var machine = Self.started()
        let oneFinished = machine.finished("w1", now: Self.t(1)).isEmpty
        #expect(oneFinished)
        let lost = machine.disconnected("w2", now: Self.t(2))
        #expect(lost.contains { if case .lost = $0 { true } else { false } })
        let lastFinished = machine.finished("w3", now: Self.t(3))
        #expect(lastFinished == [.complete(interrupted: false)])
        #expect(machine.phase == .complete)
    }

    @Test func aStopTellsEveryoneAndCompletesWhenTheyAreDoneOrTheTimeRunsOut() {
        var machine = Self.started()
        let stopping = machine.stop(.interrupted, now: Self.t(10))
        #expect(stopping == [.stopWorkers(.interrupted)])
        _ = machine.finished("w1", now: Self.t(11))
        let stillWaiting = machine.tick(now: Self.t(12)).isEmpty
        #expect(stillWaiting)
        let timedOut = machine.tick(now: Self.t(10 + 3 * Self.second))
        #expect(timedOut == [.complete(interrupted: true)])
    }

    @Test func withoutEveryWorkerByTheDeadlineTheRunEndsUnstarted() {
        var machine = ClusterStateMachine(
            settings: .init(expectedWorkers: 2, planSeconds: 60, registrationTimeout: .seconds(60)))
        _ = machine.register(name: "w1", now: Self.t(0))
        let early = machine.tick(now: Self.t(59 * Self.second))
        #expect(early.isEmpty)
        let late = machine.tick(now: Self.t(60 * Self.second))
        #expect(
            late == [.stopWorkers(.registrationDeadline(joined: ["w1"], expected: 2)), .complete(interrupted: true)])
        #expect(machine.phase == .complete)
        #expect(machine.start == nil)
    }

    @Test func nobodyJoinsAfterTheRun() {
        var machine = Self.started(1)
        _ = machine.finished("w1", now: Self.t(5))
        let refusal = machine.register(name: "w9", now: Self.t(6)).refusal
        #expect(refusal == "the run is over")
    }
}
