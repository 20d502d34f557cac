import Foundation
import Logging
public import StampedeClock
public import StampedeCoordinator
public import StampedeCore
public import StampedeWorker
import Synchronization

/// A coordinator and workers in this process, talking gRPC over loopback: the distributed path, in a test. On the
/// process clock the workers send real load; on a ``ManualClock`` they play their shares with a
/// ``ScriptedRunner`` and the cluster drives the clock itself, so a run of seconds takes milliseconds.
public enum LocalCluster {
    /// From the last worker's hello to the start: on loopback an assignment arrives in well under a millisecond.
    public static let startDelay: Duration = .milliseconds(250)

    /// How long workers may go on after the coordinator finished (they see their stream end at once, or leave
    /// on their own within 5 s).
    public static let workerGrace: Duration = .seconds(20)
    static let watchdogTick: Duration = .seconds(5)

    /// How the cluster is set up.
    public struct Options: Sendable {
        public var workers: Int
        public var settings: CoordinatorSettings?
        public var token = "test-token"
        /// Each worker's token, when they differ from the coordinator's.
        public var workerTokens: [String]?
        /// The last workers connect after these delays (on the cluster's clock).
        public var lateJoinAfter: [Duration] = []
        public var tls: TLS?
        /// The address each worker dials the coordinator by (its port is added); 127.0.0.1 when absent.
        public var dial: [String]?
        public var metrics = false
        public var runs: String?
        /// A manual clock: workers play scripted shares on it (see ``ScriptedRunner``).
        public var clock: ManualClock?
        /// With a manual clock, each arrival's latency in microseconds.
        public var latency: @Sendable (Arrival) -> UInt64 = { _ in 1_000 }
        /// What plays each worker's share, instead of the load (or, with a manual clock, a ``ScriptedRunner``).
        public var runner: (any ShareRunner)?

        public init(
            workers: Int, settings: CoordinatorSettings? = nil, workerTokens: [String]? = nil,
            lateJoinAfter: [Duration] = [], tls: TLS? = nil, metrics: Bool = false, runs: String? = nil,
            clock: ManualClock? = nil, latency: @escaping @Sendable (Arrival) -> UInt64 = { _ in 1_000 }
        ) {
            self.latency = latency
            self.workers = workers
            self.settings = settings
            self.workerTokens = workerTokens
            self.lateJoinAfter = lateJoinAfter
            self.tls = tls
            self.metrics = metrics
            self.runs = runs
            self.clock = clock
        }
    }

    public struct Result: Sendable {
        public var coordinator: RunOutcome
        public var events: [RunEvent]
        public var workers: [Swift.Result<WorkerOutcome, any Error>]
        /// With a manual clock: every arrival the workers sent.
        public var arrivals: [ArrivalLog.Entry]
    }

    /// One worker of the cluster, for a test to stop (its graceful stop) or kill (its task is cancelled: the
    /// coordinator sees its stream break, as when a process dies).
    public final class WorkerHandle: Sendable {
        let agent = Mutex<WorkerAgent?>(nil)
        let killed = Latch()

        public func stop() { agent.withLock { $0 }?.stop() }

        public func kill() { killed.fire() }
    }

    /// What a test can reach while the cluster runs.
    public struct Context: Sendable {
        public var workers: [WorkerHandle]
        public var coordinator: Coordinator
        /// The coordinator's metrics endpoint, when asked for.
        public var metricsURL: String?
        /// The coordinator's live dashboard, when asked for (with the metrics).
        public var dashboardURL: String?
        /// The cluster's clock: the process clock, or the manual one.
        public var clock: any MonotonicClock

        /// The run's start instant, once every expected worker is here (looked at every 10 ms of clock time).
        public func runStart() async -> MonotonicInstant {
            while true {
                if let start = coordinator.start { return start }
                try? await clock.sleep(for: .milliseconds(10))
                if Task.isCancelled { return clock.now }
            }
        }
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

    /// Runs `record` with workers named w1, w2, …; `during` runs alongside (with a manual clock, its sleeps on
    /// `context.clock` happen in clock time).
    public static func run(
        record: RunRecord, _ options: Options, during: (@Sendable (Context) async -> Void)? = nil
    ) async throws -> Result {
        let logger = {
            var logger = Logger(label: "stampede.testkit.cluster")
            logger.logLevel = ProcessInfo.processInfo.environment["STAMPEDE_TEST_VERBOSE"] != nil ? .info : .warning
            return logger
        }()
        let clock: any MonotonicClock = options.clock ?? ProcessClock()
        let log = ArrivalLog()
        let coordinator = Coordinator(
            configuration: CoordinatorConfiguration(
                host: "127.0.0.1", port: 0, token: options.token, tls: options.tls?.coordinator,
                metricsPort: options.metrics ? 0 : nil, dashboardPort: options.metrics ? 0 : nil,
                environment: ProcessInfo.processInfo.environment,
                runsDirectory: options.runs),
            record: record, plan: try record.plan(),
            settings: options.settings ?? CoordinatorSettings(expectedWorkers: options.workers, startDelay: startDelay),
            clock: clock)
        let handles = (0..<options.workers).map { _ in WorkerHandle() }
        let outcomes = Outcomes(count: options.workers)
        let finished = Latch()
        let trail = Mutex<[RunEvent]>([])
        // A run that goes on far longer than any test's is told, every 30 s of real time, with where each side
        // is. A worker still going `workerGrace` after the coordinator finished is cut off as `kill` does (its
        // task cancelled), and told: a fixture that waits on it for ever would hide where it hangs.
        let watchdog = Task {
            var ticks = 0
            var finishedAt: Int?
            while (try? await Task.sleep(for: watchdogTick)) != nil {
                ticks += 1
                if finished.hasFired, finishedAt == nil { finishedAt = ticks }
                let going = handles.indices.filter { !outcomes.has($0) }
                let cutOff = finishedAt.map { watchdogTick * (ticks - $0) >= workerGrace } == true && !going.isEmpty
                guard cutOff || ticks.isMultiple(of: 6) else { continue }
                let last = trail.withLock { $0.suffix(3).map { "\($0)".prefix(160) } }
                let workers = going.map { index in
                    let agent = handles[index].agent.withLock { $0 }
                    return "w\(index + 1): " + (agent.map { "\($0.state), \($0.stage.rawValue)" } ?? "not started")
                }
                logger.error(
                    cutOff
                        ? "workers still going after the coordinator finished: cut off"
                        : "the cluster is still running",
                    metadata: [
                        "after": "\(watchdogTick * ticks)", "coordinator": "\(coordinator.phase)",
                        "workers going": "\(workers)",
                        "last events": "\(last)",
                        "clock": "\(options.clock.map { "manual at \($0.now), \($0.sleepers) asleep" } ?? "process")",
                    ])
                if cutOff { for index in going { handles[index].kill() } }
            }
        }
        defer { watchdog.cancel() }
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                defer { finished.fire() }
                try await coordinator.run()
            }
            var port: Int?
            var metricsPort: Int?
            var dashboardURL: String?
            var events: [RunEvent] = []
            var iterator = coordinator.events.makeAsyncIterator()
            while let event = await iterator.next() {
                events.append(event)
                trail.withLock { $0.append(event) }
                if case .listening(_, let listening, let metrics, let dashboard, _) = event {
                    port = listening
                    metricsPort = metrics
                    dashboardURL = dashboard
                    break
                }
            }
            guard let port else {
                try await group.waitForAll()
                throw FixtureError("the coordinator did not listen")
            }
            for index in 0..<options.workers {
                let lateIndex = index - (options.workers - options.lateJoinAfter.count)
                let delay = lateIndex >= 0 ? options.lateJoinAfter[lateIndex] : .zero
                let agent = WorkerAgent(
                    configuration: WorkerAgentConfiguration(
                        host: options.dial.map { $0[min(index, $0.count - 1)] } ?? "127.0.0.1", port: port,
                        name: "w\(index + 1)",
                        token: options.workerTokens?[index] ?? options.token,
                        tls: options.tls.map { $0.workers[min(index, $0.workers.count - 1)] }),
                    logger: logger,
                    runner: options.runner
                        ?? options.clock.map { ScriptedRunner(clock: $0, log: log, latency: options.latency) },
                    clock: clock)
                let handle = handles[index]
                handle.agent.withLock { $0 = agent }
                group.addTask {
                    if delay > .zero { try? await clock.sleep(for: delay) }
                    let outcome = await withTaskGroup(of: Swift.Result<WorkerOutcome, any Error>?.self) { inner in
                        inner.addTask {
                            do {
                                try await agent.run()
                                guard let outcome = agent.outcome else { return .failure(FixtureError("no outcome")) }
                                return .success(outcome)
                            } catch {
                                return .failure(error)
                            }
                        }
                        inner.addTask {
                            await handle.killed.wait()
                            return .failure(FixtureError("killed"))
                        }
                        let first = await inner.next() ?? nil
                        inner.cancelAll()
                        return first ?? .failure(FixtureError("no outcome"))
                    }
                    outcomes.set(index, outcome)
                }
            }
            if let manual = options.clock {
                group.addTask { await manual.run(until: { finished.hasFired }) }
            }
            if let during {
                let context = Context(
                    workers: handles, coordinator: coordinator,
                    metricsURL: metricsPort.map { "http://127.0.0.1:\($0)/metrics" }, dashboardURL: dashboardURL,
                    clock: clock)
                group.addTask {
                    await withTaskGroup(of: Void.self) { inner in
                        inner.addTask { await during(context) }
                        // A `during` still going when the run is over is cut short.
                        inner.addTask { await finished.wait() }
                        await inner.next()
                        inner.cancelAll()
                    }
                }
            }
            while let event = await iterator.next() {
                events.append(event)
                trail.withLock { $0.append(event) }
            }
            try await group.waitForAll()
            guard case .finished(let outcome)? = events.last else {
                throw FixtureError("the coordinator did not finish")
            }
            return Result(coordinator: outcome, events: events, workers: outcomes.all, arrivals: log.all)
        }
    }

    /// Each worker's outcome, as it comes.
    final class Outcomes: Sendable {
        private let values: Mutex<[Swift.Result<WorkerOutcome, any Error>?]>

        init(count: Int) { values = Mutex(Array(repeating: nil, count: count)) }

        func set(_ index: Int, _ outcome: Swift.Result<WorkerOutcome, any Error>) {
            values.withLock { $0[index] = outcome }
        }

        func has(_ index: Int) -> Bool { values.withLock { $0[index] != nil } }

        var all: [Swift.Result<WorkerOutcome, any Error>] {
            values.withLock { $0.map { $0 ?? .failure(FixtureError("no outcome")) } }
        }
    }
}

/// A one-shot event between tasks: ``fire()`` once, and every ``wait()`` returns (as does a cancelled one).
public final class Latch: Sendable {
    private struct State {
        var fired = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var next = 0
    }

    private let state = Mutex(State())

    public init() {}

    public func fire() {
        let waiters = state.withLock { state in
            state.fired = true
            defer { state.waiters = [:] }
            return state.waiters.values
        }
        for waiter in waiters { waiter.resume() }
    }

    public var hasFired: Bool { state.withLock { $0.fired } }

    /// Returns once fired (at once if it was), or when the task is cancelled.
    public func wait() async {
        let id = state.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.fired || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
