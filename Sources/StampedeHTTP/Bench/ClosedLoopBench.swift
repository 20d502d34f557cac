public import NIOCore
import NIOHTTP1
public import StampedeCore

/// What `stampede bench-http` asks for: one fixed request, as fast as the target answers (a closed loop, like
/// h2load and wrk), on `connections` connections with `streams` requests in flight on each (HTTP/2; HTTP/1.1
/// carries one at a time), for `duration`. `refill`: how many of a connection's free streams are sent again
/// together (``StreamRefill``; 1, each as soon as it is free).
public struct BenchSettings: Sendable {
    public var origin: Origin
    public var request: HTTPRequest
    public var connections: Int
    public var streams: Int
    public var duration: Duration
    public var client: HTTPClientConfiguration
    public var refill: Int

    public init(
        origin: Origin, request: HTTPRequest, connections: Int, streams: Int, duration: Duration,
        client: HTTPClientConfiguration, refill: Int = 1
    ) {
        self.origin = origin
        self.request = request
        self.connections = connections
        self.streams = streams
        self.duration = duration
        self.client = client
        self.refill = refill
    }
}

/// What a benchmark measured: every response's latency, not a sample.
public struct BenchResult: Sendable {
    public var responses: UInt64 = 0
    public var statuses: [Int: UInt64] = [:]
    public var errors: [String: UInt64] = [:]
    /// What the first error said, to say why when nothing was answered.
    public var firstError: String?
    public var bodyBytes: UInt64 = 0
    public var latency = LatencyHistogram()
    /// From the first request to the last response.
    public var elapsed: Duration = .zero
    /// The protocol the connections spoke.
    public var negotiated: String = ""
    /// Streams a connection kept in flight, and how many were sent again together (1 and 1 over HTTP/1.1).
    public var refill = StreamRefill(streams: 1)
    /// Connections opened again after the server closed them.
    public var reconnects: UInt64 = 0
    /// Requests the server refused unprocessed (HTTP/2 GOAWAY) and that were sent again.
    public var refused: UInt64 = 0

    /// Responses by status, counted in place (a dictionary was a hash a response); merged into `statuses` when
    /// the run is over.
    private var statusCounts = [UInt64](repeating: 0, count: 600)

    mutating func count(status: Int) {
        if statusCounts.indices.contains(status) {
            statusCounts[status] += 1
        } else {
            statuses[status, default: 0] += 1
        }
    }

    /// Moves the in-place counts into `statuses`.
    mutating func settleStatuses() {
        for (status, count) in statusCounts.enumerated() where count > 0 { statuses[status, default: 0] += count }
        statusCounts = [UInt64](repeating: 0, count: statusCounts.count)
    }

    public var requestsPerSecond: Double {
        let seconds = elapsed.seconds
        return seconds > 0 ? Double(responses) / seconds : 0
    }

    mutating func merge(_ other: BenchResult) {
        var other = other
        other.settleStatuses()
        responses += other.responses
        statuses.merge(other.statuses, uniquingKeysWith: +)
        errors.merge(other.errors, uniquingKeysWith: +)
        firstError = firstError ?? other.firstError
        bodyBytes += other.bodyBytes
        reconnects += other.reconnects
        refused += other.refused
        latency.merge(other.latency)
    }
}

/// Runs a closed-loop benchmark. Each connection is driven from its own event loop with no task hop per
/// request: a response's completion records its latency and sends the next request in the same tick. A connection
/// the server closes (keep-alive limits, GOAWAY) is opened again, as wrk and h2load do.
public func runClosedLoopBench(_ settings: BenchSettings, group: any EventLoopGroup) async throws -> BenchResult {
    var client = settings.client
    client.streamsPerConnection = max(1, settings.streams)
    let factory = try ConnectionFactory(origin: settings.origin, group: group, configuration: client)
    var connections: [any PooledConnection] = []
    for _ in 0..<max(1, settings.connections) {
        do {
            connections.append(try await factory.connect(events: { _ in }).get())
        } catch {
            for connection in connections { connection.channel.close(promise: nil) }
            throw error
        }
    }
    let start = ContinuousClock.now
    let end = ContinuousInstant.now + settings.duration
    let drivers = connections.map {
        ConnectionDriver(
            connection: $0, factory: factory, origin: settings.origin, request: settings.request,
            streams: settings.streams, refill: settings.refill, end: end)
    }
    // All connections start together; then their tallies are gathered.
    for driver in drivers { driver.start() }
    var total = BenchResult()
    for driver in drivers {
        total.merge(try await driver.result())
    }
    total.elapsed = ContinuousClock.now - start
    total.negotiated = connections.first is HTTP2Connection ? "h2" : "http/1.1"
    if let first = drivers.first { total.refill = StreamRefill(streams: first.streams, batch: settings.refill) }
    return total
}

/// Keeps `streams` requests in flight on one connection until the end, on the connection's event loop: free
/// streams are sent again a ``StreamRefill`` batch at a time.
private final class ConnectionDriver: @unchecked Sendable {
    // Everything mutable is touched on `loop` only.
    let factory: ConnectionFactory
    let request: HTTPRequest
    let headers: HeaderBlock
    /// The HTTP/1.1 request's bytes, encoded once.
    let http1Request: ByteBuffer
    let streams: Int
    /// When free streams are sent again: a batch at a time, in one write.
    private var refill: StreamRefill
    let end: ContinuousInstant
    let loop: any EventLoop
    let done: EventLoopPromise<BenchResult>
    var connection: any PooledConnection {
        didSet { carrier = Carrier(connection) }
    }
    /// The connection as its own type, told once a connection rather than cast a request.
    private var carrier: Carrier

    private enum Carrier {
        case http1(HTTP1Connection)
        case http2(HTTP2Connection)
        case neither

        init(_ connection: any PooledConnection) {
            if let http1 = connection as? HTTP1Connection {
                self = .http1(http1)
            } else if let http2 = connection as? HTTP2Connection {
                self = .http2(http2)
            } else {
                self = .neither
            }
        }
    }
    /// False once the connection must not carry more (closed, GOAWAY, `connection: close`).
    var usable = true
    var reconnecting = false
    var result = BenchResult()
    var inFlight = 0
    var stopped = false
    /// Failures since the last response: a server that resets every connection is not hammered with new ones.
    var failuresInARow = 0

    init(
        connection: any PooledConnection, factory: ConnectionFactory, origin: Origin, request: HTTPRequest,
        streams: Int, refill: Int, end: ContinuousInstant
    ) {
        self.connection = connection
        self.carrier = Carrier(connection)
        self.factory = factory
        self.request = request
        self.headers = HeaderBlock(
            method: request.method.rawValue, scheme: origin.scheme.rawValue, authority: origin.hostHeader,
            path: request.target, headers: request.headers)
        self.http1Request = HTTP1RequestEncoder.encode(
            request, host: origin.hostHeader, allocator: ByteBufferAllocator())
        self.streams = connection is HTTP2Connection ? max(1, streams) : 1
        self.refill = StreamRefill(streams: self.streams, batch: refill)
        self.end = end
        self.loop = connection.channel.eventLoop
        self.done = loop.makePromise(of: BenchResult.self)
    }

    func start() {
        loop.execute { [self] in
            for _ in 0..<streams { fire() }
        }
    }

    /// The tally, once the run has ended and nothing is in flight; the connection is closed.
    func result() async throws -> BenchResult {
        let result = try await done.futureResult.get()
        try? await connection.channel.close()
        return result
    }

    /// The one request, handed to the connection again and again: an exchange is immutable, so one serves every
    /// request of the run (and every stream at once), where one each was an allocation a request.
    private lazy var http2Exchange = HTTP2Exchange(headers: headers, body: request.body, timeout: nil, keepsBody: false)
    {
        [unowned self] outcome in
        switch outcome {
        case .success(let response): responded(response, reusable: true)
        case .failure(let error): failed(error)
        }
    }

    private lazy var http1Exchange = HTTP1Exchange(
        request: .encoded(http1Request), isHEAD: request.method == .HEAD, keepsBody: false, timeout: nil
    ) {
        [unowned self] outcome in
        switch outcome {
        case .success(let exchanged): responded(exchanged.response, reusable: exchanged.reusable)
        case .failure(let error): failed(error)
        }
    }

    /// Sends the next request unless the run is over at `now` (after a response, the instant it completed: no
    /// second reading of the clock).
    private func fire(now: ContinuousInstant = .now) {
        guard !stopped, now < end else { return finish() }
        guard usable else { return reconnect() }
        switch carrier {
        case .http1(let http1):
            // Not asked whether the channel is open (a retain and a release a request): a closed connection fails
            // the request at once, and it goes again on a new one.
            inFlight += 1
            http1.submit(http1Exchange, sentAt: now)
        case .http2(let http2):
            // A closed HTTP/2 connection is opened again without counting an error: it may have closed after a
            // GOAWAY, whose refused streams are not errors.
            guard connection.channel.isActive else { return reconnect() }
            inFlight += 1
            http2.submit(http2Exchange, sentAt: now)
        case .neither:
            break
        }
    }

    /// A response: counted, and its stream sent again (or held for its batch). Borrowed, not wrapped again in a
    /// `Result`: each copy of a response is a retain and a release of its buffers.
    private func responded(_ response: borrowing HTTPResponse, reusable: Bool) {
        inFlight -= 1
        if !reusable { usable = false }
        failuresInARow = 0
        result.responses += 1
        result.count(status: response.status)
        result.bodyBytes += UInt64(response.bodyBytes)
        result.latency.record(microseconds: response.completedAt.microseconds(since: response.sentAt))
        // A freed stream waits for its batch only while there is a batch to come: at the end of the run, or on a
        // connection that carries no more, it is let go at once (to finish, or to open the next one).
        let now = response.completedAt
        let sends = refill.streamFreed()
        guard sends > 0 || stopped || now >= end || !usable else { return }
        for _ in 0..<max(1, sends) { fire(now: now) }
    }

    /// A request that got no response: its connection carries no more, and the request goes again.
    private func failed(_ error: HTTPClientError) {
        inFlight -= 1
        usable = false
        if error.code == .refused {
            // GOAWAY: not an error, and the request goes again on the next connection.
            result.refused += 1
        } else {
            result.errors[error.code.label, default: 0] += 1
            if result.firstError == nil { result.firstError = "\(error)" }
            failuresInARow += 1
        }
        // Never loop on a failure in the same call stack: a connection that fails at once would recurse.
        loop.execute { [self] in fire() }
    }

    /// Opens a new connection once the old one has nothing in flight; a failure to connect ends this driver. After
    /// failures with no response between them it waits first, 1 ms doubling up to 1 s.
    private func reconnect() {
        guard !reconnecting, inFlight == 0 else { return }
        reconnecting = true
        connection.channel.close(promise: nil)
        let backoff = ConnectionDriverBackoff.afterFailures(failuresInARow)
        guard backoff == .zero else {
            guard ContinuousInstant.now + .nanoseconds(backoff.nanoseconds) < end else {
                reconnecting = false
                return finish()
            }
            loop.scheduleTask(in: backoff) { [self] in
                reconnecting = false
                connectAgain()
            }
            return
        }
        connectAgain()
    }

    private func connectAgain() {
        reconnecting = true
        factory.connect(on: loop, events: { _ in }).whenComplete { [self] outcome in
            reconnecting = false
            switch outcome {
            case .success(let fresh):
                connection = fresh
                usable = true
                result.reconnects += 1
                refill.reset()
                for _ in 0..<streams { fire() }
            case .failure(let error):
                result.errors[(error as? HTTPClientError)?.code.label ?? "connect", default: 0] += 1
                if result.firstError == nil { result.firstError = "\(error)" }
                stopped = true
                finish()
            }
        }
    }

    private func finish() {
        stopped = true
        if inFlight == 0 && !reconnecting { done.succeed(result) }
    }
}

/// How long a bench connection waits before opening again after failures with no response between them.
enum ConnectionDriverBackoff {
    static func afterFailures(_ failures: Int) -> TimeAmount {
        guard failures > 0 else { return .zero }
        return .milliseconds(Int64(min(1_000, 1 << min(failures - 1, 10))))
    }
}
