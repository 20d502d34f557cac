import Foundation
import Logging
public import StampedeCoordinator
import StampedeCore
public import StampedeWorker

/// A coordinator and workers in this process, talking gRPC over loopback: the distributed path, in a test.
public enum LocalCluster {
    public struct Result: Sendable {
        public var coordinator: CoordinatorServer.Outcome
        public var workers: [Swift.Result<WorkerOutcome, any Error>]
    }

    /// One worker of the cluster, for a test to stop (its graceful stop) or kill (its task is cancelled: the
    /// coordinator sees its stream break, as when a process dies).
    public final class WorkerHandle: Sendable {
        public let stop = StopSignal()
        let kills: AsyncStream<Void>
        private let killer: AsyncStream<Void>.Continuation

        init() {
            (kills, killer) = AsyncStream.makeStream(of: Void.self)
        }

        public func kill() async {
            killer.yield()
            killer.finish()
        }
    }

    /// What a test can reach while the cluster runs.
    public struct Context: Sendable {
        public var workers: [WorkerHandle]
        /// Stopping it is Ctrl-C at the coordinator.
        public var coordinator: StopSignal
        /// The coordinator's metrics endpoint, when asked for.
        public var metricsURL: String?
    }

    /// TLS on the coordinator's channel, as each side sees it.
    public struct TLS: Sendable {
        public var coordinator: CoordinatorTLS
        public var workers: [WorkerTLS]

        public init(coordinator: CoordinatorTLS, workers: [WorkerTLS]) {
            self.coordinator = coordinator
            self.workers = workers
        }
    }

    /// Runs `record` with `workers` agents named w1, w2, …; the last `lateJoinAfter.count` of them connect after
    /// those delays. `during` runs alongside.
    public static func run(
        record: RunRecord, workers: Int, settings: ClusterSettings? = nil, token: String = "test-token",
        runs: String? = nil, workerTokens: [String]? = nil, lateJoinAfter: [Duration] = [], tls: TLS? = nil,
        metrics: Bool = false, during: (@Sendable (Context) async -> Void)? = nil
    ) async throws -> Result {
        let logger = {
            var logger = Logger(label: "stampede.testkit.cluster")
            logger.logLevel = ProcessInfo.processInfo.environment["STAMPEDE_TEST_VERBOSE"] != nil ? .info : .warning
            return logger
        }()
        let settings = settings ?? ClusterSettings(expectedWorkers: workers)
        let server = CoordinatorServer(
            configuration: CoordinatorConfiguration(
                host: "127.0.0.1", port: 0, token: token, tls: tls?.coordinator, metricsPort: metrics ? 0 : nil),
            record: record,
            settings: settings, runsDirectory: runs)
        let coordinatorStop = StopSignal()
        let handles = (0..<workers).map { _ in WorkerHandle() }
        let (ports, portSink) = AsyncStream.makeStream(of: (Int, Int?).self)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            let outcomes = OutcomeBox(count: workers)
            group.addTask {
                let verbose = ProcessInfo.processInfo.environment["STAMPEDE_TEST_VERBOSE"] != nil
                let outcome = try await server.run(
                    notify: { line in if verbose { print("[coordinator] \(line)") } },
                    listening: { port, metricsPort in
                        portSink.yield((port, metricsPort))
                        portSink.finish()
                    },
                    stopRequested: { coordinatorStop.reason })
                await outcomes.setCoordinator(outcome)
            }
            var iterator = ports.makeAsyncIterator()
            guard let (port, metricsPort) = await iterator.next() else {
                throw FixtureError("the coordinator did not listen")
            }
            for index in 0..<workers {
                let workerToken = workerTokens?[index] ?? token
                let lateIndex = index - (workers - lateJoinAfter.count)
                let delay = lateIndex >= 0 ? lateJoinAfter[lateIndex] : .zero
                let handle = handles[index]
                group.addTask {
                    try? await Task.sleep(for: delay)
                    let agent = WorkerAgent(
                        configuration: WorkerAgentConfiguration(
                            host: "127.0.0.1", port: port, name: "w\(index + 1)", token: workerToken,
                            tls: tls.map { $0.workers[min(index, $0.workers.count - 1)] }),
                        logger: logger)
                    let outcome = await withTaskGroup(of: Swift.Result<WorkerOutcome, any Error>?.self) { inner in
                        inner.addTask {
                            do { return .success(try await agent.run(stop: handle.stop)) } catch { return .failure(error) }
                        }
                        inner.addTask {
                            for await _ in handle.kills { return .failure(FixtureError("killed")) }
                            return nil
                        }
                        var first: Swift.Result<WorkerOutcome, any Error>? = nil
                        while let next = await inner.next() {
                            if let next {
                                first = next
                                break
                            }
                        }
                        inner.cancelAll()
                        return first ?? .failure(FixtureError("no outcome"))
                    }
                    await handle.kill()
                    await outcomes.setWorker(index, outcome)
                }
            }
            if let during {
                let context = Context(
                    workers: handles, coordinator: coordinatorStop,
                    metricsURL: metricsPort.map { "http://127.0.0.1:\($0)/metrics" })
                group.addTask { await during(context) }
            }
            try await group.waitForAll()
            return try await outcomes.result()
        }
    }

    actor OutcomeBox {
        var coordinator: CoordinatorServer.Outcome?
        var workers: [Swift.Result<WorkerOutcome, any Error>?]

        init(count: Int) { workers = Array(repeating: nil, count: count) }
        func setCoordinator(_ outcome: CoordinatorServer.Outcome) { coordinator = outcome }
        func setWorker(_ index: Int, _ outcome: Swift.Result<WorkerOutcome, any Error>) { workers[index] = outcome }

        func result() throws -> Result {
            guard let coordinator else { throw FixtureError("the coordinator did not finish") }
            return Result(coordinator: coordinator, workers: workers.map { $0 ?? .failure(FixtureError("no outcome")) })
        }
    }
}
