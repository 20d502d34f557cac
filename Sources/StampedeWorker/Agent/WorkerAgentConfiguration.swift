public import StampedeCore

/// TLS towards the coordinator: a CA to trust (default: the system's), and a client certificate when the
/// coordinator requires one.
public struct WorkerTLS: Sendable {
    public var ca: String?
    public var certificate: String?
    public var key: String?

    public init(ca: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
    }
}

public struct WorkerAgentConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var name: String
    /// The shared secret; from a file or the environment, never the command line.
    public var token: String
    public var tls: WorkerTLS?
    public var eventLoopThreads: Int
    /// How often the worker looks at the time (its lease, a lost probe, leaving).
    public var tick: Duration
    /// How long a worker started before its coordinator keeps trying to reach it (with backoff) before it gives
    /// up: pods of a Kubernetes Job start in any order.
    public var joinTimeout: Duration
    /// What this worker can do, relative to the others (its share of the load is proportional): its cores.
    public var capacity: Int

    public init(
        host: String, port: Int, name: String, token: String, tls: WorkerTLS? = nil, eventLoopThreads: Int = 1,
        tick: Duration = .milliseconds(50), joinTimeout: Duration = .seconds(60), capacity: Int = 1
    ) {
        self.host = host
        self.port = port
        self.name = name
        self.token = token
        self.tls = tls
        self.eventLoopThreads = eventLoopThreads
        self.tick = tick
        self.joinTimeout = joinTimeout
        self.capacity = max(1, capacity)
    }
}

/// How a worker's part ended.
public struct WorkerOutcome: Sendable, Equatable {
    public var id: String?
    public var reason: StopReason
    /// True when the stop was the coordinator's word.
    public var stoppedByCoordinator: Bool
    public var intervalsSent: Int
    /// Coordinator clock minus this worker's clock, and the round trip it was measured over (nanoseconds).
    public var clockOffset: Int64?
    public var roundTrip: Int64?

    public init(
        id: String?, reason: StopReason, stoppedByCoordinator: Bool, intervalsSent: Int, clockOffset: Int64?,
        roundTrip: Int64?
    ) {
        self.id = id
        self.reason = reason
        self.stoppedByCoordinator = stoppedByCoordinator
        self.intervalsSent = intervalsSent
        self.clockOffset = clockOffset
        self.roundTrip = roundTrip
    }
}

/// Why a worker could not take part: the coordinator refused it, or could not be reached.
public struct WorkerAgentError: Error, Sendable, CustomStringConvertible {
    public enum Code: String, Sendable {
        case refused
        case unreachable
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
