public import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import NIOSSL
import Synchronization

/// A loopback HTTP/2 server on swift-nio-http2, at the level of frames, whose misbehaviour the test chooses:
/// a stream limit, GOAWAY after so many requests, RST_STREAM on `/rst`. Paths: `/echo` answers with the request
/// body, `/slow` answers after 30 ms, `/rst` resets the stream, anything else answers `ok`. Cleartext (h2c with
/// prior knowledge) or TLS with the ALPN names given.
public final class ScriptedHTTP2Server: Sendable {
    public struct Options: Sendable {
        /// SETTINGS_MAX_CONCURRENT_STREAMS.
        public var maxConcurrentStreams: Int
        /// Send GOAWAY (with the last stream id answered) once this many requests arrived on a connection, answer
        /// nothing above it, and close the connection when what remains is answered.
        public var goAwayAfter: Int?
        /// Serve TLS with this certificate and key (PEM files).
        public var tls: (certificate: String, key: String)?
        /// The ALPN names the TLS server accepts.
        public var alpn: [String]

        public init(
            maxConcurrentStreams: Int = 100, goAwayAfter: Int? = nil,
            tls: (certificate: String, key: String)? = nil, alpn: [String] = ["h2"]
        ) {
            self.maxConcurrentStreams = maxConcurrentStreams
            self.goAwayAfter = goAwayAfter
            self.tls = tls
            self.alpn = alpn
        }
    }

    public let port: Int
    public let scheme: String
    private let channel: any Channel
    private let counters: ServerCounters
    fileprivate let streams: StreamCounters

    final class StreamCounters: Sendable {
        let open = Atomic<Int>(0)
        let maxOpen = Atomic<Int>(0)
        let goAways = Atomic<Int>(0)

        /// Counts streams opening (+1) and closing (-1), keeping the most open at once.
        func change(by delta: Int) {
            let now = open.wrappingAdd(delta, ordering: .relaxed).newValue
            if delta > 0 { ServerCounters.raise(maxOpen, to: now) }
        }
    }

    public var connections: Int { counters.connections.load(ordering: .relaxed) }
    public var openConnections: Int { counters.open.load(ordering: .relaxed) }
    /// Requests answered (a reset stream does not count).
    public var requests: Int { counters.requests.load(ordering: .relaxed) }
    /// The most streams open at once (over all connections).
    public var maxOpenStreams: Int { streams.maxOpen.load(ordering: .relaxed) }
    public var goAwaysSent: Int { streams.goAways.load(ordering: .relaxed) }
    public var baseURL: String { "\(scheme)://127.0.0.1:\(port)" }

    private init(port: Int, scheme: String, channel: any Channel, counters: ServerCounters, streams: StreamCounters) {
        self.port = port
        self.scheme = scheme
        self.channel = channel
        self.counters = counters
        self.streams = streams
    }

    public static func start(
        group: any EventLoopGroup, options: Options = Options()
    ) async throws -> ScriptedHTTP2Server {
        let counters = ServerCounters()
        let streams = StreamCounters()
        var sslContext: NIOSSLContext?
        if let tls = options.tls {
            var configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem)))
            configuration.applicationProtocols = options.alpn
            sslContext = try NIOSSLContext(configuration: configuration)
        }
        let context = sslContext
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                counters.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let context { try pipeline.addHandler(NIOSSLServerHandler(context: context)) }
                    try pipeline.addHandler(
                        NIOHTTP2Handler(
                            mode: .server,
                            initialSettings: [
                                HTTP2Setting(parameter: .maxConcurrentStreams, value: options.maxConcurrentStreams),
                                HTTP2Setting(parameter: .initialWindowSize, value: 1 << 20),
                            ]))
                    try pipeline.addHandler(FrameScript(options: options, counters: counters, streams: streams))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return ScriptedHTTP2Server(
            port: channel.localAddress!.port!, scheme: options.tls == nil ? "http" : "https", channel: channel,
            counters: counters, streams: streams)
    }

    public func close() async {
        try? await channel.close()
    }
}

/// One connection's frames: gathers each stream's request and answers it as the path says.
private final class FrameScript: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    let options: ScriptedHTTP2Server.Options
    let counters: ServerCounters
    let streams: ScriptedHTTP2Server.StreamCounters
    private var paths: [HTTP2StreamID: String] = [:]
    private var bodies: [HTTP2StreamID: ByteBuffer] = [:]
    private var received = 0
    private var lastAccepted: HTTP2StreamID?

    init(options: ScriptedHTTP2Server.Options, counters: ServerCounters, streams: ScriptedHTTP2Server.StreamCounters) {
        self.options = options
        self.counters = counters
        self.streams = streams
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let id = frame.streamID
        switch frame.payload {
        case .headers(let headers):
            if let last = lastAccepted, id > last { return }  // above GOAWAY's last stream: ignored
            paths[id] = headers.headers.first(name: ":path") ?? "/"
            streams.change(by: 1)
            if headers.endStream { arrived(id, context: context) }
        case .data(let part):
            guard paths[id] != nil, case .byteBuffer(var bytes) = part.data else { return }
            let count = bytes.readableBytes
            bodies[id, default: ByteBuffer()].writeBuffer(&bytes)
            if count > 0 {
                // Give the credit back, on the stream and on the connection.
                context.write(
                    wrapOutboundOut(HTTP2Frame(streamID: id, payload: .windowUpdate(windowSizeIncrement: count))),
                    promise: nil)
                context.writeAndFlush(
                    wrapOutboundOut(
                        HTTP2Frame(
                            streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: count))), promise: nil)
            }
            if part.endStream { arrived(id, context: context) }
        default:
            break
        }
    }

    private func arrived(_ id: HTTP2StreamID, context: ChannelHandlerContext) {
        received += 1
        if let limit = options.goAwayAfter, received == limit, lastAccepted == nil {
            lastAccepted = id
            streams.goAways.add(1, ordering: .relaxed)
            // Streams the client opened above `id` are refused; they are safe to retry elsewhere.
            for stream in paths.keys where stream > id { forget(stream) }
            context.writeAndFlush(
                wrapOutboundOut(
                    HTTP2Frame(
                        streamID: .rootStream, payload: .goAway(lastStreamID: id, errorCode: .noError, opaqueData: nil))
                ),
                promise: nil)
        }
        let path = paths[id] ?? "/"
        switch path {
        case "/rst":
            forget(id)
            context.writeAndFlush(
                wrapOutboundOut(HTTP2Frame(streamID: id, payload: .rstStream(.internalError))),
                promise: nil)
            closeIfDrained(context: context)
        case "/slow":
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(30)) { [self] in
                answer(id, body: ByteBuffer(string: "slow"), context: context)
            }
        case "/echo":
            answer(id, body: bodies[id] ?? ByteBuffer(), context: context)
        default:
            answer(id, body: ByteBuffer(string: "ok \(path)"), context: context)
        }
    }

    private func answer(_ id: HTTP2StreamID, body: ByteBuffer, context: ChannelHandlerContext) {
        guard paths[id] != nil else { return }
        forget(id)
        counters.requests.add(1, ordering: .relaxed)
        let headers: HPACKHeaders = [":status": "200", "content-length": String(body.readableBytes)]
        context.write(
            wrapOutboundOut(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers)))), promise: nil)
        context.writeAndFlush(
            wrapOutboundOut(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(body), endStream: true)))),
            promise: nil)
        closeIfDrained(context: context)
    }

    private func forget(_ id: HTTP2StreamID) {
        if paths.removeValue(forKey: id) != nil { streams.change(by: -1) }
        bodies[id] = nil
    }

    /// After GOAWAY, the connection closes once every accepted stream is answered.
    private func closeIfDrained(context: ChannelHandlerContext) {
        guard lastAccepted != nil, paths.isEmpty else { return }
        context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(20)) { context.close(promise: nil) }
    }
}
