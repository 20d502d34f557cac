/// TLS for the coordinator's gRPC port: its certificate and key (PEM files), and optionally a CA whose client
/// certificates it requires (mutual TLS).
public struct CoordinatorTLS: Sendable {
    public var certificate: String
    public var key: String
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }
}

/// Where the coordinator listens and how it lets workers in.
public struct CoordinatorConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    public var token: String
    public var tls: CoordinatorTLS?
    /// Where Prometheus metrics are served (`GET /metrics`); nil for none, 0 for a free port.
    public var metricsPort: Int?
    /// Where the live dashboard is served; nil for none, 0 for a free port.
    public var dashboardPort: Int?
    /// The dashboard's address: loopback unless told.
    public var dashboardHost: String
    /// Where a books database URL is looked up (the process environment); never printed.
    public var environment: [String: String]
    /// Where run directories go; nil writes nothing.
    public var runsDirectory: String?

    public init(
        host: String = "127.0.0.1", port: Int = 7070, token: String, tls: CoordinatorTLS? = nil,
        metricsPort: Int? = nil, dashboardPort: Int? = nil, dashboardHost: String = "127.0.0.1",
        environment: [String: String] = [:], runsDirectory: String? = nil
    ) {
        self.host = host
        self.port = port
        self.token = token
        self.tls = tls
        self.metricsPort = metricsPort
        self.dashboardPort = dashboardPort
        self.dashboardHost = dashboardHost
        self.environment = environment
        self.runsDirectory = runsDirectory
    }
}

/// Why a coordinator could not run.
public struct CoordinatorError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The run could not start because the target could not be prepared: a setup request or the drill's preparation
/// failed. No load was sent.
public struct RunNotStarted: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
