/// What a coordinator tells whoever watches its run (the console, a test, a dashboard), in order. The run's
/// last event is ``finished(_:)``.
public enum RunEvent: Sendable {
    /// Workers can connect (to the gRPC port), and metrics are served (on their port) when asked for.
    case listening(host: String, port: Int, metricsPort: Int?, dashboard: String?, expectedWorkers: Int)
    /// The target's `setup` requests were answered.
    case targetSetUp(requests: Int)
    /// The payment drill's simulators were reset and their faults are waiting for the start.
    case drillPrepared(channels: Int, primary: String, faults: Int)
    case joined(worker: String, present: Int, expected: Int)
    /// Every expected worker is here: the run starts after `startsIn`.
    case starting(workers: Int, startsIn: Duration)
    /// A worker joined a run in progress and takes a share from a later second.
    case joinedLate(worker: String, fromSecond: Int, share: Double)
    case lost(GapSummary)
    /// One second of the run, once every worker has reported it.
    case progress(Progress)
    case stopping(StopReason)
    /// The coordinator reads the target's books or the drill's ledgers for the verdicts.
    case verifying(what: String)
    /// Something went wrong that the run survives; the report will say what it means.
    case problem(RunProblem)
    case finished(RunOutcome)
}

/// A problem a run survives, with a bounded kind and a sentence.
public struct RunProblem: Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable {
        /// A worker sent an interval that does not fit the plan.
        case refusedInterval = "refused_interval"
        /// The run directory could not be written.
        case runDirectory = "run_directory"
        /// A verdict cannot be proved (the books or the ledgers could not be read).
        case unverified
        /// A worker could not be told something.
        case worker
        /// The coordinator cannot merge intervals as fast as the fleet sends them: the fleet is too large for it.
        case behind
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// How a run ended, from the coordinator's side.
public struct RunOutcome: Sendable {
    public var report: RunReport
    /// The run directory, when one was written.
    public var directory: String?
    /// Worker intervals merged, and the coordinator's CPU time (user + system, all of it: gRPC, merging, writing,
    /// progress) per interval merged, in microseconds.
    public var mergedIntervals: Int
    public var cpuMicrosPerInterval: Double
    /// Why the coordinator stopped the run before its end, when it did (the report carries its description).
    public var stopReason: StopReason?
    /// Why the run directory lacks some of the run (a full disk, say), when it does: the console report is whole,
    /// the directory is not.
    public var directoryIncomplete: String?

    public init(
        report: RunReport, directory: String?, mergedIntervals: Int, cpuMicrosPerInterval: Double,
        stopReason: StopReason? = nil, directoryIncomplete: String? = nil
    ) {
        self.stopReason = stopReason
        self.directoryIncomplete = directoryIncomplete
        self.report = report
        self.directory = directory
        self.mergedIntervals = mergedIntervals
        self.cpuMicrosPerInterval = cpuMicrosPerInterval
    }
}
