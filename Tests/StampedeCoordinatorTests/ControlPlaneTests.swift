import Foundation
import StampedeClock
import StampedeCore
import StampedeTestKit
import StampedeWorker
import Testing

@testable import StampedeCoordinator

/// The control plane on a manual clock: a coordinator and workers over loopback gRPC, each worker playing its
/// share with a script (no target), while the test drives the clock. Seconds of a run take milliseconds, and
/// every arrival is known.
@Suite(.timeLimit(.minutes(1)))
struct ControlPlaneTests {
    static let target = "http://127.0.0.1:9"

    /// Every arrival of a plan (uniform arrivals: the count is exact).
    static func planned(_ record: RunRecord) throws -> [Arrival] {
        Array(ArrivalSequence(plan: try record.plan(), process: record.arrivals, seed: record.seed))
    }

    @Test func threeWorkersShareThePlanExactly() async throws {
        let record = TestSupport.record(seconds: 4, rate: 90, target: Self.target)
        let result = try await LocalCluster.run(record: record, .init(workers: 3, clock: ManualClock()))
        let report = result.coordinator.report
        let planned = try Self.planned(record)
        TestSupport.expectAccounted(report)
        #expect(report.totals.shoppers.started == planned.count)
        #expect(Set(result.arrivals.map(\.arrival.index)) == Set(planned.map(\.index)))
        #expect(result.arrivals.count == planned.count, "an arrival was sent twice")
        #expect(report.workers.map(\.name) == ["w1", "w2", "w3"])
        #expect(report.workers.allSatisfy { $0.status == .finished })
        for worker in report.workers { #expect(abs(Double(worker.shoppers.started) - Double(planned.count) / 3) < 5) }
        for outcome in result.workers { #expect((try? outcome.get())?.reason == .planOver) }
        #expect(!report.run.interrupted)
    }

    @Test func aLostWorkersShareGoesToTheOthersAndTheGapIsReported() async throws {
        let record = TestSupport.record(seconds: 8, rate: 90, target: Self.target)
        let killedAt = Box<MonotonicInstant?>(nil)
        let result = try await LocalCluster.run(record: record, .init(workers: 3, clock: ManualClock())) { context in
            let start = await context.runStart()
            try? await context.clock.sleep(until: start.advanced(by: .milliseconds(3_500)))
            await killedAt.set(context.clock.now)
            context.workers[1].kill()
        }
        let report = result.coordinator.report
        let gap = try #require(report.gaps.first)
        #expect(report.gaps.count == 1)
        #expect(gap.worker == "w2")
        let start = try #require(report.run.startMonotonicNanos)
        let killed = try #require(await killedAt.value)
        let killSecond = Double(killed.nanoseconds - start) / 1e9
        #expect(gap.lostAt - killSecond < 0.5, "lost at \(gap.lostAt) s, killed at \(killSecond) s")
        #expect(gap.plannedNotSent > 0)
        #expect(abs(gap.share - 1.0 / 3) < 1e-9)
        #expect(gap.to - killSecond <= 1.5)
        // Arrivals = plan − gap, exactly: the survivors carry the lost share from the handover on.
        #expect(report.totals.shoppers.started == (try Self.planned(record)).count - gap.plannedNotSent)
        for point in report.timeline where Double(point.second) >= gap.to && Double(point.second) < 8 {
            #expect(
                abs(Double(point.shoppers.started) - point.expected) <= 1,
                "second \(point.second): started \(point.shoppers.started), expected \(point.expected)")
        }
        TestSupport.expectAccounted(report)
        #expect(report.workers.first { $0.name == "w2" }?.status == .lost)
        #expect(result.events.contains { if case .lost(let lost) = $0 { lost.worker == "w2" } else { false } })
    }

    @Test func aStopAtTheCoordinatorStopsEveryWorkerWithinASecond() async throws {
        let record = TestSupport.record(seconds: 20, rate: 60, target: Self.target)
        let stoppedAt = Box<MonotonicInstant?>(nil)
        let result = try await LocalCluster.run(record: record, .init(workers: 3, clock: ManualClock())) { context in
            let start = await context.runStart()
            try? await context.clock.sleep(until: start.advanced(by: .milliseconds(2_500)))
            await stoppedAt.set(context.clock.now)
            context.coordinator.stop()
        }
        let stop = try #require(await stoppedAt.value)
        let last = try #require(result.arrivals.map(\.sentAt).max())
        #expect(stop.duration(to: last) < .seconds(1), "an arrival \(stop.duration(to: last)) after the stop")
        #expect(result.coordinator.report.run.interrupted)
        #expect(result.coordinator.report.run.actualSeconds < 8)
        for outcome in result.workers {
            let worker = try outcome.get()
            #expect(worker.reason == .interrupted && worker.stoppedByCoordinator)
        }
        #expect(result.events.contains { if case .stopping(.interrupted) = $0 { true } else { false } })
    }

    @Test func aLateWorkerGetsAShareFromTheNextSecond() async throws {
        let record = TestSupport.record(seconds: 6, rate: 60, target: Self.target)
        let result = try await LocalCluster.run(
            record: record,
            .init(
                workers: 2, settings: CoordinatorSettings(expectedWorkers: 1), lateJoinAfter: [.seconds(2)],
                clock: ManualClock()))
        let report = result.coordinator.report
        #expect(report.workers.map(\.name).sorted() == ["w1", "w2"])
        let late = try #require(report.workers.first { $0.name == "w2" })
        #expect(late.shoppers.started > 0)
        let start = try #require(report.run.startMonotonicNanos)
        let firstLate = try #require(result.arrivals.filter { $0.worker == "w2" }.map(\.sentAt).min())
        #expect(Double(firstLate.nanoseconds - start) / 1e9 >= 2)
        #expect(report.totals.shoppers.started == (try Self.planned(record)).count)
        #expect(result.events.contains { if case .joinedLate(worker: "w2", _, _) = $0 { true } else { false } })
    }

    /// A worker that waits for the others hears the coordinator's heartbeats: it stays registered well past its
    /// lease, and the run starts when the last one comes.
    @Test func heartbeatsKeepAWaitingWorkerRegistered() async throws {
        let record = TestSupport.record(seconds: 2, rate: 30, target: Self.target, workers: 2)
        let result = try await LocalCluster.run(
            record: record, .init(workers: 2, lateJoinAfter: [.seconds(10)], clock: ManualClock())
        ) { context in
            try? await context.clock.sleep(for: .seconds(9))
            #expect(context.coordinator.start == nil)
        }
        let report = result.coordinator.report
        #expect(report.workers.map(\.name) == ["w1", "w2"])
        for outcome in result.workers { #expect((try? outcome.get())?.reason == .planOver) }
        #expect(report.totals.shoppers.started == (try Self.planned(record)).count)
    }

    /// Three workers expected, two come: at the registration deadline the run ends without starting, naming who
    /// joined, and the two that came are told why.
    @Test func aRunWhoseWorkersDoNotAllComeEndsAtTheRegistrationDeadline() async throws {
        let record = TestSupport.record(seconds: 5, rate: 30, target: Self.target, workers: 3)
        let settings = CoordinatorSettings(expectedWorkers: 3, registrationTimeout: .seconds(10))
        let result = try await LocalCluster.run(
            record: record, .init(workers: 2, settings: settings, clock: ManualClock()))
        let report = result.coordinator.report
        let deadline = StopReason.registrationDeadline(joined: ["w1", "w2"], expected: 3)
        #expect(report.run.interrupted)
        #expect(report.run.stopReason == deadline.description)
        #expect(deadline.description.contains("2 of 3") && deadline.description.contains("w1, w2"))
        #expect(report.totals.shoppers.planned == 0)
        #expect(result.arrivals.isEmpty)
        for outcome in result.workers {
            let worker = try outcome.get()
            #expect(worker.reason == deadline && worker.stoppedByCoordinator)
        }
        #expect(result.events.contains { if case .stopping(deadline) = $0 { true } else { false } })
    }

    @Test func theCoordinatorTellsWhatHappensInOrder() async throws {
        let record = TestSupport.record(seconds: 3, rate: 30, target: Self.target, workers: 2)
        let result = try await LocalCluster.run(record: record, .init(workers: 2, clock: ManualClock()))
        let kinds = result.events.map { event -> String in
            switch event {
            case .listening: "listening"
            case .joined: "joined"
            case .starting: "starting"
            case .progress: "progress"
            case .finished: "finished"
            default: "other"
            }
        }
        #expect(Array(kinds.prefix(4)) == ["listening", "joined", "joined", "starting"])
        #expect(kinds.last == "finished")
        // One progress event a second, in order, once both workers reported it.
        let seconds = result.events.compactMap { if case .progress(let progress) = $0 { progress.second } else { nil } }
        #expect(seconds == Array(0..<seconds.count))
        #expect(seconds.count >= 3)
    }
}
