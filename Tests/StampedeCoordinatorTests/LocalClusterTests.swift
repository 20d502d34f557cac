import StampedeClock
import StampedeCore
import StampedeTestKit
import StampedeWorker
import Testing

/// The cluster fixture itself: a worker that does not end after its coordinator finished is cut off after a
/// grace, and the test goes on with the coordinator's report instead of waiting for ever.
@Suite(.timeLimit(.minutes(2)))
struct LocalClusterTests {
    /// A share that ignores the stop and ends only when its task is cancelled, as a worker stuck in its
    /// teardown would.
    struct StuckRunner: ShareRunner {
        func run(
            _ assignment: WorkerAssignment, plan: Plan, start: MonotonicInstant, worker: String, control: RunControl,
            emit: @escaping @Sendable (IntervalReport) -> Void
        ) async {
            while !Task.isCancelled { try? await Task.sleep(for: .milliseconds(50)) }
        }
    }

    @Test func aWorkerStillGoingAfterTheCoordinatorFinishedIsCutOff() async throws {
        let record = TestSupport.record(seconds: 2, rate: 10, target: "http://127.0.0.1:9", workers: 1)
        var options = LocalCluster.Options(workers: 1, clock: ManualClock())
        options.runner = StuckRunner()
        let began = ContinuousClock.now
        let result = try await LocalCluster.run(record: record, options)
        let took = ContinuousClock.now - began
        // The coordinator stopped waiting for the silent worker and finished with what it had: nothing.
        #expect(result.coordinator.report.totals.shoppers.started == 0)
        guard case .failure(let error) = try #require(result.workers.first) else {
            Issue.record("the stuck worker ended by itself")
            return
        }
        #expect("\(error)".contains("killed"), "\(error)")
        #expect(took >= LocalCluster.workerGrace, "cut off after \(took)")
        #expect(took < LocalCluster.workerGrace + .seconds(30), "cut off after \(took)")
    }
}
