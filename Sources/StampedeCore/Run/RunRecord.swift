/// A run as the coordinator plans it: what every worker plays (sent to each in its assignment) and everything
/// needed to rebuild the report from the intervals (written as `plan.json` before the first arrival).
public struct RunRecord: Codable, Sendable, Equatable {
    public var format = "stampede.run/1"
    public var id: String
    public var startedAt: String
    public var profile: Profile
    public var scenario: Scenario
    public var scale: RunScale
    public var target: Origin
    public var seed: UInt64
    public var arrivals: ArrivalProcess
    public var workers: Int
    public var maxShoppers: Int
    public var connections: Int
    /// How workers connect to the target (absent in records older than HTTP/2 support: the defaults).
    public var transport: TargetTransport?
    /// How the run is judged (its exit code), so that a rebuilt report is judged the same way.
    public var gate: GateSettings?

    public init(
        id: String, startedAt: String, profile: Profile, scenario: Scenario, scale: RunScale, target: Origin,
        seed: UInt64, arrivals: ArrivalProcess, workers: Int, maxShoppers: Int, connections: Int,
        transport: TargetTransport? = nil, gate: GateSettings? = nil
    ) {
        self.gate = gate
        self.transport = transport
        self.id = id
        self.startedAt = startedAt
        self.profile = profile
        self.scenario = scenario
        self.scale = scale
        self.target = target
        self.seed = seed
        self.arrivals = arrivals
        self.workers = workers
        self.maxShoppers = maxShoppers
        self.connections = connections
    }

    public func plan() throws(PlanError) -> Plan { try Plan(profile: profile, scale: scale) }

    /// The run's description for the report.
    public func info(plan: Plan, actualSeconds: Double, interrupted: Bool, startNanos: Int64? = nil) -> RunInfo {
        RunInfo(
            id: id, profile: profile.name, profileTitle: profile.title, timeZone: profile.timeZone,
            scenario: scenario.name, target: target.description, seed: seed, arrivals: arrivals,
            peakRate: scale.peakRate,
            speed: plan.speed,
            window: plan.speed < 60
                ? "\(ProfileClock.labelWithSeconds(plan.window.start))-\(ProfileClock.labelWithSeconds(plan.window.end))"
                : "\(ProfileClock.label(plan.window.start))-\(ProfileClock.endLabel(plan.window.end))",
            plannedSeconds: plan.duration, actualSeconds: actualSeconds, startedAt: startedAt, workers: workers,
            maxShoppers: maxShoppers, connections: connections, interrupted: interrupted,
            startMonotonicNanos: startNanos)
    }
}

/// How a run's outcome becomes a pass or a failure.
public struct GateSettings: Codable, Sendable, Equatable {
    /// A failed verdict (oversold, phantom, leaked, double or orphan charges, uncharged orders) fails the run.
    public var failOnVerdict: Bool
    /// Workers that may be lost before the run counts as not completed.
    public var maxLostWorkers: Int

    public init(failOnVerdict: Bool = true, maxLostWorkers: Int = 0) {
        self.failOnVerdict = failOnVerdict
        self.maxLostWorkers = maxLostWorkers
    }
}

extension RunRecord {
    /// The most connections one worker may hold to the target at once: one for each shopper going
    /// (`--connection-per-shopper`), or its pool's.
    public var connectionsPerWorkerAtMost: Int {
        transport?.connectionPerShopper == true ? maxShoppers : connections
    }
}
