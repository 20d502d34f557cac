public import NIOCore
import NIOPosix
import Synchronization

/// Settings of the client engine.
public struct HTTPClientConfiguration: Sendable {
    /// The most connections open to one origin at once.
    public var maxConnectionsPerOrigin: Int
    public var connectTimeout: Duration
    /// Event-loop threads, when the client makes its own group.
    public var eventLoopThreads: Int

    public init(maxConnectionsPerOrigin: Int = 256, connectTimeout: Duration = .seconds(5), eventLoopThreads: Int = 1) {
        self.maxConnectionsPerOrigin = maxConnectionsPerOrigin
        self.connectTimeout = connectTimeout
        self.eventLoopThreads = eventLoopThreads
    }
}

/// The client engine: a connection pool per origin over SwiftNIO. Use it through ``withHTTPClient(_:_:)`` so
/// that its connections and threads are always closed.
public final class HTTPClient: Sendable {
    public let configuration: HTTPClientConfiguration
    public let eventLoopGroup: any EventLoopGroup
    private let pools = Mutex<[Origin: ConnectionPool]>([:])
    private let isShutDown = Mutex(false)

    public init(configuration: HTTPClientConfiguration, eventLoopGroup: any EventLoopGroup) {
        self.configuration = configuration
        self.eventLoopGroup = eventLoopGroup
    }

    /// Sends a request and waits for its whole response, at most `timeout` (waiting for a free connection
    /// included). Throws an ``HTTPClientError`` whose code says what went wrong.
    public func execute(_ request: HTTPRequest, to origin: Origin, timeout: Duration) async throws(HTTPClientError)
        -> HTTPResponse
    {
        guard origin.scheme == .http else {
            throw HTTPClientError(.unsupported, "https is not supported by this engine yet")
        }
        let deadline = NIODeadline.now() + TimeAmount(timeout)
        return try await pool(for: origin).execute(request, deadline: deadline)
    }

    private func pool(for origin: Origin) throws(HTTPClientError) -> ConnectionPool {
        guard !isShutDown.withLock({ $0 }) else { throw HTTPClientError(.shutdown, "the client is shut down") }
        return pools.withLock { pools in
            if let pool = pools[origin] { return pool }
            let pool = ConnectionPool(
                origin: origin, group: eventLoopGroup, maxConnections: configuration.maxConnectionsPerOrigin,
                connectTimeout: TimeAmount(configuration.connectTimeout))
            pools[origin] = pool
            return pool
        }
    }

    /// Refuses new requests, fails waiting ones, and closes every connection.
    public func shutDown() async {
        isShutDown.withLock { $0 = true }
        let all = pools.withLock { Array($0.values) }
        for pool in all { pool.shutDown() }
        for pool in all {
            for channel in pool.openChannels {
                channel.close(promise: nil)
                try? await channel.closeFuture.get()
            }
        }
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
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
