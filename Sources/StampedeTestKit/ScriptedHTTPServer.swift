public import NIOCore
public import NIOHTTP1
import NIOPosix
import StampedeCore
import Synchronization

/// A loopback HTTP/1.1 server whose every answer is scripted by the test: normal responses with a delay, garbage,
/// a connection closed half-way, or no answer at all. It counts connections and requests.
public final class ScriptedHTTPServer: Sendable {
    public enum Behaviour: Sendable {
        case respond(status: Int, body: String, delay: Duration = .zero, keepAlive: Bool = true)
        /// Raw bytes instead of a response.
        case garbage([UInt8])
        /// A response head promising a body, then the connection closes.
        case closeMidResponse
        /// Close with a TCP reset (`SO_LINGER` 0): the client's read fails with "connection reset by peer".
        case reset
        /// Never answer.
        case hang
    }

    public let port: Int
    private let channel: any Channel
    private let counters: ServerCounters

    public var connections: Int { counters.connections.load(ordering: .relaxed) }
    public var maxOpenConnections: Int { counters.maxOpen.load(ordering: .relaxed) }
    public var openConnections: Int { counters.open.load(ordering: .relaxed) }
    public var requests: Int { counters.requests.load(ordering: .relaxed) }

    private init(port: Int, channel: any Channel, counters: ServerCounters) {
        self.port = port
        self.channel = channel
        self.counters = counters
    }

    /// Starts a server on 127.0.0.1 (a free port); `script` decides each request's answer.
    public static func start(
        group: any EventLoopGroup, script: @escaping @Sendable (HTTPRequestHead) -> Behaviour
    ) async throws -> ScriptedHTTPServer {
        let counters = ServerCounters()
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counters.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: false)
                    try channel.pipeline.syncOperations.addHandler(ScriptHandler(script: script, counters: counters))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedHTTPServer(port: channel.localAddress!.port!, channel: channel, counters: counters)
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func close() async {
        try? await channel.close()
    }
}

private final class ScriptHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let script: @Sendable (HTTPRequestHead) -> ScriptedHTTPServer.Behaviour
    let counters: ServerCounters
    private var head: HTTPRequestHead?

    init(script: @escaping @Sendable (HTTPRequestHead) -> ScriptedHTTPServer.Behaviour, counters: ServerCounters) {
        self.script = script
        self.counters = counters
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            counters.requests.add(1, ordering: .relaxed)
            respond(script(head), context: context)
        }
    }

    private func respond(_ behaviour: ScriptedHTTPServer.Behaviour, context: ChannelHandlerContext) {
        let loop = context.eventLoop.assumeIsolated()
        switch behaviour {
        case .respond(let status, let body, let delay, let keepAlive):
            let send = {
                var headers = HTTPHeaders([("content-length", String(body.utf8.count))])
                if !keepAlive { headers.add(name: "connection", value: "close") }
                context.write(
                    self.wrapOutboundOut(
                        .head(
                            HTTPResponseHead(
                                version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers))),
                    promise: nil)
                context.write(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
                let done = context.writeAndFlush(self.wrapOutboundOut(.end(nil)))
                if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
            }
            if delay == .zero {
                send()
            } else {
                loop.scheduleTask(in: .nanoseconds(delay.wholeNanoseconds)) { send() }
            }
        case .garbage(let bytes):
            // Bypass the HTTP encoder: write from its own place in the pipeline, towards the socket.
            if let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) {
                encoder.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes)), promise: nil)
            }
        case .closeMidResponse:
            context.write(
                self.wrapOutboundOut(
                    .head(
                        HTTPResponseHead(
                            version: .http1_1, status: .ok, headers: ["content-length": "100"]))), promise: nil)
            context.writeAndFlush(self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "partial")))))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .reset:
            guard let socket = context.channel as? any SocketOptionProvider else { return }
            socket.setSoLinger(linger(l_onoff: 1, l_linger: 0))
                .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
        case .hang:
            break
        }
    }
}

/// What a test server saw: connections (in all, open now, most open at once) and requests answered.
final class ServerCounters: Sendable {
    let connections = Atomic<Int>(0)
    let open = Atomic<Int>(0)
    let maxOpen = Atomic<Int>(0)
    let requests = Atomic<Int>(0)

    /// Counts a new connection, and its closing when it closes.
    func track(_ channel: any Channel) {
        connections.add(1, ordering: .relaxed)
        Self.raise(maxOpen, to: open.wrappingAdd(1, ordering: .relaxed).newValue)
        channel.closeFuture.whenComplete { [self] _ in open.subtract(1, ordering: .relaxed) }
    }

    /// Raises `maximum` to `value` if it is lower.
    static func raise(_ maximum: borrowing Atomic<Int>, to value: Int) {
        var seen = maximum.load(ordering: .relaxed)
        while value > seen {
            let (exchanged, original) = maximum.compareExchange(expected: seen, desired: value, ordering: .relaxed)
            if exchanged { break }
            seen = original
        }
    }
}
