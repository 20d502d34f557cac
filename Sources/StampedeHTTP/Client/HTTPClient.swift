public import NIOCore
import NIOPosix
public import StampedeCore
import Synchronization

/// Settings of the client engine.
public struct HTTPClientConfiguration: Sendable {
    /// The most connections open to one origin at once.
    public var maxConnectionsPerOrigin: Int
    public var connectTimeout: Duration
    /// Event-loop threads, when the client makes its own group.
    public var eventLoopThreads: Int
    /// Which HTTP the target speaks.
    public var protocolChoice: HTTPProtocolChoice
    /// How https:// targets are trusted.
    public var tls: TLSOptions
    /// The most HTTP/2 streams open at once on one connection (the server's limit may be lower).
    public var streamsPerConnection: Int

    public init(
        maxConnectionsPerOrigin: Int = 256, connectTimeout: Duration = .seconds(5), eventLoopThreads: Int = 1,
        protocolChoice: HTTPProtocolChoice = .auto, tls: TLSOptions = TLSOptions(), streamsPerConnection: Int = 100
    ) {
        self.maxConnectionsPerOrigin = maxConnectionsPerOrigin
        self.connectTimeout = connectTimeout
        self.eventLoopThreads = eventLoopThreads
        self.protocolChoice = protocolChoice
        self.tls = tls
        self.streamsPerConnection = streamsPerConnection
    }
}

/// The client engine: a connection pool per origin over SwiftNIO, HTTP/1.1 or HTTP/2 (nghttp2), plain or over TLS
/// (OpenSSL). Use it through ``withHTTPClient(_:_:)`` so
/// that its connections and threads are always closed.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    public let eventLoopGroup: any EventLoopGroup
    private let pools = Mutex<[Origin: ConnectionPool]>([:])
    /// The pools' requests waiting for a connection, counted by the pools as they come and go.
    private let waiting = WaitingTally()
    /// One factory per origin, shared by its pool and every per-shopper session: one TLS context, so a new
    /// connection resumes the last TLS session.
    private let factories = Mutex<[Origin: ConnectionFactory]>([:])
    private let sessions = Mutex<[ObjectIdentifier: ConnectionPool]>([:])
    private let isShutDown = Mutex(false)

    public init(configuration: HTTPClientConfiguration, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends a request and waits for its whole response, at most `timeout` (waiting for a free connection
    /// included). Throws an ``HTTPClientError`` whose code says what went wrong.
    public func execute(
        _ request: HTTPRequest, to origin: Origin, timeout: Duration
    ) async throws(HTTPClientError)
        -> HTTPResponse
    {
        try await pool(for: origin).execute(request, timeout: timeout)
    }

    /// Requests to one origin through the shared pool, found once: for a caller that sends many (a run's shoppers
    /// to its target), each request then skips the lookup of its origin's pool (a lock and a hash of the origin).
    public func route(to origin: Origin) throws(HTTPClientError) -> HTTPRoute {
        HTTPRoute(pool: try pool(for: origin))
    }

    private func factory(for origin: Origin) throws(HTTPClientError) -> ConnectionFactory {
        guard !isShutDown.withLock({ $0 }) else { throw HTTPClientError(.shutdown, "the client is shut down") }
        if let factory = factories.withLock({ $0[origin] }) { return factory }
        let made = try ConnectionFactory(origin: origin, group: eventLoopGroup, configuration: configuration)
        return factories.withLock { factories in
            if let factory = factories[origin] { return factory }
            factories[origin] = made
            return made
        }
    }

    private func pool(for origin: Origin) throws(HTTPClientError) -> ConnectionPool {
        if let pool = pools.withLock({ $0[origin] }) { return pool }
        let factory = try factory(for: origin)
        return pools.withLock { pools in
            if let pool = pools[origin] { return pool }
            let pool = ConnectionPool(
                factory: factory, group: eventLoopGroup, maxConnections: configuration.maxConnectionsPerOrigin,
                tally: waiting)
            pools[origin] = pool
            return pool
        }
    }

    /// Requests waiting for a connection of a pool (not of a shopper's own connection): more requests started
    /// now would only wait behind them.
    public var waitingForConnection: Int { waiting.count.load(ordering: .relaxed) }

    /// TLS handshakes to an origin so far: full, and resumed from a cached session (nil for a cleartext origin).
    func tlsHandshakes(to origin: Origin) -> (full: Int, resumed: Int)? {
        factories.withLock { $0[origin] }?.tlsHandshakes
    }

    /// A connection of one's own (the one-connection-per-shopper policy): opened at the first request, closed
    /// by ``HTTPSession/close()``. A flash-sale crowd is many clients, and their handshakes are part of the truth.
    public func session(to origin: Origin) throws(HTTPClientError) -> HTTPSession {
        let pool = ConnectionPool(factory: try factory(for: origin), group: eventLoopGroup, maxConnections: 1)
        let session = HTTPSession(pool: pool, client: self)
        sessions.withLock { $0[ObjectIdentifier(session)] = pool }
        return session
    }

    fileprivate func ended(_ session: HTTPSession) {
        sessions.withLock { $0[ObjectIdentifier(session)] = nil }
    }

    /// Refuses new requests, fails waiting ones, and closes every connection.
    public func shutDown() async {
        isShutDown.withLock { $0 = true }
        let all = pools.withLock { Array($0.values) } + sessions.withLock { Array($0.values) }
        for pool in all { pool.shutDown() }
        for pool in all {
            for channel in pool.openChannels {
                channel.close(promise: nil)
                try? await channel.closeFuture.get()
            }
        }
    }
}

/// One shopper's own connection to an origin; see ``HTTPClient/session(to:)``.
public final class HTTPSession: Sendable {
    private let pool: ConnectionPool
    private let client: HTTPClient

    fileprivate init(pool: ConnectionPool, client: HTTPClient) {
        self.pool = pool
        self.client = client
    }

    public func execute(_ request: HTTPRequest, timeout: Duration) async throws(HTTPClientError) -> HTTPResponse {
        try await pool.execute(request, timeout: timeout)
    }

    /// Closes the connection (TLS close_notify first) and waits until it is closed.
    public func close() async {
        pool.shutDown()
        for channel in pool.openChannels {
            channel.close(promise: nil)
            try? await channel.closeFuture.get()
        }
        client.ended(self)
    }
}

/// Requests to one origin through a client's shared pool; see ``HTTPClient/route(to:)``. A client shut down
/// refuses them as it refuses ``HTTPClient/execute(_:to:timeout:)``.
public struct HTTPRoute: Sendable {
    fileprivate let pool: ConnectionPool

    public var origin: Origin { pool.origin }

    /// Sends a request and waits for its whole response, at most `timeout` (waiting for a free connection
    /// included).
    public func execute(_ request: HTTPRequest, timeout: Duration) async throws(HTTPClientError) -> HTTPResponse {
        try await pool.execute(request, timeout: timeout)
    }
}

/// Runs `body` with a client, and shuts the client (and the event loops it made) down afterwards, whatever
/// happens.
public func withHTTPClient<Result: Sendable>(
    _ configuration: HTTPClientConfiguration = .init(),
    _ body: (HTTPClient) async throws -> Result
) async throws -> Result {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, configuration.eventLoopThreads))
    let client = HTTPClient(configuration: configuration, eventLoopGroup: group)
    let result: Swift.Result<Result, any Error>
    do {
        result = .success(try await body(client))
    } catch {
        result = .failure(error)
    }
    await client.shutDown()
    try? await group.shutdownGracefully()
    return try result.get()
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.wholeNanoseconds)
    }
}
