public import Logging
public import StampedeClock
public import StampedeCore
import StampedeHTTP

/// What plays a worker's share: the load itself in production (``LoadRunner``), a script in tests of the
/// control plane.
public protocol ShareRunner: Sendable {
    /// Plays `assignment`'s share of `plan` from `start` (on this worker's clock) until the plan is over and the
    /// shoppers ended, or until `control` says stop. Every interval goes to `emit`, in order; the last one after
    /// every shopper ended.
    func run(
        _ assignment: WorkerAssignment, plan: Plan, start: MonotonicInstant, worker: String, control: RunControl,
        emit: @escaping @Sendable (IntervalReport) -> Void
    ) async
}

/// The real thing: shoppers against the target through the HTTP engine.
public struct LoadRunner: ShareRunner {
    public var eventLoopThreads: Int
    public var logger: Logger

    public init(eventLoopThreads: Int = 1, logger: Logger) {
        self.eventLoopThreads = eventLoopThreads
        self.logger = logger
    }

    public func run(
        _ assignment: WorkerAssignment, plan: Plan, start: MonotonicInstant, worker: String, control: RunControl,
        emit: @escaping @Sendable (IntervalReport) -> Void
    ) async {
        let record = assignment.run
        let transport = record.transport ?? TargetTransport()
        let settings = WorkerSettings(
            name: worker, seed: record.seed, arrivals: record.arrivals, maxShoppers: assignment.maxShoppers,
            requestTimeout: assignment.requestTimeout, connectionPerShopper: transport.connectionPerShopper)
        let run = WorkerRun(
            plan: plan,
            runtime: ScenarioRuntime(scenario: record.scenario, origin: record.target, bursts: plan.profile.bursts),
            schedule: ShareSchedule(assignment.share, from: Double(assignment.fromSecond)), settings: settings,
            logger: logger)
        let configuration = HTTPClientConfiguration(
            transport, maxConnectionsPerOrigin: assignment.connections, eventLoopThreads: eventLoopThreads)
        do {
            try await withHTTPClient(configuration) { client in
                await run.run(client: client, start: ProcessClock.continuous(at: start), control: control, emit: emit)
            }
        } catch {
            logger.error("the run could not go on", metadata: ["error": "\(error)"])
        }
    }
}
