import CNghttp2
import NIOCore
import NIOHTTP1
import StampedeCore

/// One HTTP/2 connection's nghttp2 session inside a channel handler, and nothing else: bytes in through
/// `nghttp2_session_mem_recv`, bytes out through `nghttp2_session_mem_send`, nghttp2's callbacks reaching this
/// object through its user-data pointer. Streams are submitted with ``submit(_:)`` on the event loop; their
/// outcomes are delivered after nghttp2 returns (never from inside a callback), so a completion may submit the
/// next request at once.
final class HTTP2ClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Our side's window: large, so flow control never throttles a load test (as h2load does).
    static let localWindow: Int32 = 1 << 30
    /// The stream limit assumed until the server's SETTINGS arrive.
    static let assumedServerStreams = 100

    private final class Stream {
        let exchange: HTTP2Exchange
        let sentAt: ContinuousInstant
        var status = 0
        var headers = HTTPHeaders()
        var body: ByteBuffer?
        var bodyBytes = 0
        var pendingBody: ByteBuffer?
        var timer: Scheduled<Void>?

        init(exchange: HTTP2Exchange, sentAt: ContinuousInstant) {
            self.exchange = exchange
            self.sentAt = sentAt
            self.pendingBody = exchange.body
        }
    }

    /// The open streams by id, with the last one looked up remembered: nghttp2 calls back once for each header,
    /// data chunk and frame, nearly always for the stream it called back for last, and a lookup in the dictionary
    /// hashes the id (about a dozen lookups a response).
    private struct StreamTable {
        private var byID: [Int32: Stream] = [:]
        private var last: (id: Int32, stream: Stream)?

        var count: Int { byID.count }
        var isEmpty: Bool { byID.isEmpty }
        var all: Dictionary<Int32, Stream>.Values { byID.values }

        subscript(id: Int32) -> Stream? {
            mutating get {
                if let last, last.id == id { return last.stream }
                guard let stream = byID[id] else { return nil }
                last = (id, stream)
                return stream
            }
            set {
                if last?.id == id { last = nil }
                byID[id] = newValue
            }
        }

        mutating func removeValue(forKey id: Int32) -> Stream? {
            if last?.id == id { last = nil }
            return byID.removeValue(forKey: id)
        }

        mutating func removeAll() {
            last = nil
            byID.removeAll()
        }
    }

    private let streamLimit: Int
    private let pingInterval: TimeAmount
    private let events: @Sendable (HTTP2ConnectionEvent) -> Void
    private var session: OpaquePointer?
    private var context: ChannelHandlerContext?
    private var streams = StreamTable()
    /// Outcomes gathered while nghttp2 runs, delivered when it returns.
    private var finished: [(HTTP2Exchange, Result<HTTPResponse, HTTPClientError>)] = []
    private var inCodec = false
    private var flushScheduled = false
    /// True while a read delivers its outcomes: whatever they submit goes out in the send that follows, not in a
    /// tick of its own (one task on the event loop a read, and a send that found nothing, when it was scheduled).
    private var sendFollows = false
    private var goingAway = false
    /// Why the session failed, from nghttp2's error callback, for the label of what it fails.
    private var lastCodecError: String?
    /// Whether the server has sent anything yet: its first bytes tell an HTTP/1 server from a broken HTTP/2 one.
    private var heardFromServer = false
    private var closedError: HTTPClientError?
    private var readSinceTick = false
    private var pingOutstanding = false
    private var pingTimer: Scheduled<Void>?
    private var serverStreams = HTTP2ClientHandler.assumedServerStreams
    /// Streams the server reset with RST_STREAM (any other stream closed with an error was closed by our codec,
    /// because the server broke the protocol).
    private var resetByServer: Set<Int32> = []

    /// Completed with the connection's capacity when the server's first SETTINGS arrive (or failed when the
    /// connection ends first), so a pool never opens more streams than the server allows.
    let ready: EventLoopPromise<Int>
    private var sawSettings = false
    private var readyCapacity: Int?

    /// `streamLimit`: the most streams we open at once (the server's limit may be lower).
    init(
        streamLimit: Int, ready: EventLoopPromise<Int>, pingInterval: TimeAmount = .seconds(10),
        events: @escaping @Sendable (HTTP2ConnectionEvent) -> Void
    ) {
        self.streamLimit = max(1, streamLimit)
        self.ready = ready
        self.pingInterval = pingInterval
        self.events = events
    }

    /// How many streams this connection may carry at once now.
    var capacity: Int { min(streamLimit, serverStreams) }

    var activeStreams: Int { streams.count }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        if context.channel.isActive { start(context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        if session == nil { start(context: context) }
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        shut(HTTPClientError(.reset, "the HTTP/2 connection was taken down"))
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let session else { return }
        let buffer = unwrapInboundIn(data)
        readSinceTick = true
        if !heardFromServer {
            heardFromServer = true
            // An HTTP/1 server answers h2c's preface in HTTP/1 (a 400, a 505, or an HTML page without a status
            // line): nghttp2 said only "Remote peer returned unexpected data while we expected SETTINGS frame".
            let bytes = buffer.readableBytesView
            if bytes.starts(with: "HTTP/1.".utf8) || bytes.starts(with: "<".utf8) {
                let line = bytes.prefix(40).prefix { $0 != 13 && $0 != 10 }
                fail(
                    HTTPClientError(
                        .protocolMismatch,
                        "the server answered \"\(String(decoding: line, as: UTF8.self))\", not HTTP/2: it does not "
                            + "speak h2c; use --protocol http1 or auto"),
                    context: context)
                return
            }
        }
        inCodec = true
        let result = buffer.withUnsafeReadableBytes { bytes in
            nghttp2_session_mem_recv(session, bytes.baseAddress?.assumingMemoryBound(to: UInt8.self), bytes.count)
        }
        inCodec = false
        if result < 0 {
            let reason = lastCodecError ?? String(cString: nghttp2_strerror(Int32(result)))
            fail(HTTPClientError(.protocol, "the server broke HTTP/2: \(reason)"), context: context)
            return
        }
        if nghttp2_session_want_read(session) == 0 && !goingAway {
            // Our codec gave up on the server (it queued GOAWAY): what is open fails as a protocol error, before
            // nghttp2 closes those streams in a way that would look retryable.
            let reason = lastCodecError ?? "the connection was terminated"
            let error = HTTPClientError(.protocol, "the server broke HTTP/2: \(reason)")
            closedError = error
            shut(error, keepSession: true)
            sendPending(context: context)
            context.close(promise: nil)
            return
        }
        sendFollows = true
        deliverFinished()
        sendFollows = false
        sendPending(context: context)
        closeIfDone(context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        shut(closedError ?? HTTPClientError(.reset, "the connection closed before the response was complete"))
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure =
            (error as? HTTPClientError)
            ?? HTTPClientError(.reset, "the connection failed: \(HTTPClientError.reason(error))")
        fail(failure, context: context)
    }

    // MARK: Streams

    /// Opens a stream for this exchange (on the event loop). A connection that is going away or closed refuses
    /// it with ``HTTPClientError/Code/refused``, so the pool sends it elsewhere. `sentAt` is the clock's reading
    /// when the caller has just taken one, else nil to read it here.
    func submit(_ exchange: HTTP2Exchange, sentAt: ContinuousInstant? = nil) {
        guard let session, let context, !goingAway else {
            // Closed: the reason it closed (as HTTP/1.1 does). Going away: refused, safe to send elsewhere.
            exchange.completion(
                .failure(
                    goingAway
                        ? HTTPClientError(.refused, "the connection takes no new streams (GOAWAY)")
                        : closedError ?? HTTPClientError(.reset, "the connection is closed")))
            return
        }
        let fields = exchange.headers.fields
        let id: Int32
        if (exchange.body?.readableBytes ?? 0) > 0 {
            var provider = nghttp2_data_provider()
            provider.read_callback = readBodyCallback
            id = nghttp2_submit_request(session, nil, fields.baseAddress, fields.count, &provider, nil)
        } else {
            id = nghttp2_submit_request(session, nil, fields.baseAddress, fields.count, nil, nil)
        }
        guard id > 0 else {
            exchange.completion(
                .failure(
                    HTTPClientError(
                        .refused, "no new stream on this connection: \(String(cString: nghttp2_strerror(id)))")))
            return
        }
        let stream = Stream(exchange: exchange, sentAt: sentAt ?? .now)
        if let timeout = exchange.timeout {
            stream.timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) { [self] in
                timedOut(id, after: timeout)
            }
        }
        streams[id] = stream
        scheduleFlush(context: context)
    }

    private func timedOut(_ id: Int32, after timeout: TimeAmount) {
        guard let session, let context, let stream = streams.removeValue(forKey: id) else { return }
        nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), id, NGHTTP2_CANCEL.rawValue)
        stream.exchange.completion(
            .failure(.noCompleteResponse(within: timeout)))
        sendPending(context: context)
    }

    // MARK: Output

    /// Many submissions in one event-loop tick go out in one write.
    private func scheduleFlush(context: ChannelHandlerContext) {
        guard !flushScheduled, !inCodec, !sendFollows else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute { [self] in
            flushScheduled = false
            guard let context = self.context else { return }
            sendPending(context: context)
        }
    }

    private func sendPending(context: ChannelHandlerContext) {
        guard let session else { return }
        var out: ByteBuffer?
        while true {
            var chunk: UnsafePointer<UInt8>?
            let count = nghttp2_session_mem_send(session, &chunk)
            if count < 0 {
                fail(
                    HTTPClientError(
                        .protocol, "HTTP/2 send failed: \(String(cString: nghttp2_strerror(Int32(count))))"),
                    context: context)
                return
            }
            guard count > 0, let chunk else { break }
            if out == nil { out = context.channel.allocator.buffer(capacity: max(Int(count), 4096)) }
            out!.writeBytes(UnsafeRawBufferPointer(start: chunk, count: Int(count)))
        }
        deliverFinished()
        if let out { context.writeAndFlush(wrapOutboundOut(out), promise: nil) }
    }

    // MARK: Ending

    private func deliverFinished() {
        if let capacity = readyCapacity {
            readyCapacity = nil
            ready.succeed(capacity)
        }
        while !finished.isEmpty {
            let batch = finished
            finished.removeAll(keepingCapacity: true)
            for (exchange, result) in batch { exchange.completion(result) }
        }
    }

    /// After GOAWAY, or when nghttp2 wants neither to read nor write, the connection ends once it is empty.
    private func closeIfDone(context: ChannelHandlerContext) {
        guard let session else { return }
        let codecDone = nghttp2_session_want_read(session) == 0 && nghttp2_session_want_write(session) == 0
        if codecDone {
            let reason = lastCodecError.map { "the server broke HTTP/2: \($0)" }
            fail(
                HTTPClientError(reason == nil ? .reset : .protocol, reason ?? "the HTTP/2 session ended"),
                context: context)
        } else if goingAway && streams.isEmpty {
            closedError = HTTPClientError(.reset, "the server sent GOAWAY")
            context.close(promise: nil)
        }
    }

    private func fail(_ error: HTTPClientError, context: ChannelHandlerContext) {
        closedError = closedError ?? error
        shut(error)
        context.close(promise: nil)
    }

    /// Fails every open stream and frees the session (unless it still has a GOAWAY to send).
    private func shut(_ error: HTTPClientError, keepSession: Bool = false) {
        ready.fail(error)
        pingTimer?.cancel()
        pingTimer = nil
        let open = streams
        streams.removeAll()
        for stream in open.all {
            stream.timer?.cancel()
            finished.append((stream.exchange, .failure(error)))
        }
        if let session, !inCodec, !keepSession {
            nghttp2_session_del(session)
            self.session = nil
        }
        deliverFinished()
    }

    // MARK: Session set-up

    private func start(context: ChannelHandlerContext) {
        guard session == nil else { return }
        var callbacks: OpaquePointer?
        nghttp2_session_callbacks_new(&callbacks)
        defer { nghttp2_session_callbacks_del(callbacks) }
        nghttp2_session_callbacks_set_on_header_callback(callbacks, onHeader)
        nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, onData)
        nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, onFrame)
        nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, onStreamClose)
        nghttp2_session_callbacks_set_on_frame_not_send_callback(callbacks, onFrameNotSent)
        nghttp2_session_callbacks_set_error_callback2(callbacks, onError)
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(callbacks, onInvalidFrame)
        var options: OpaquePointer?
        nghttp2_option_new(&options)
        defer { nghttp2_option_del(options) }
        nghttp2_option_set_peer_max_concurrent_streams(options, UInt32(Self.assumedServerStreams))
        var created: OpaquePointer?
        let user = Unmanaged.passUnretained(self).toOpaque()
        guard nghttp2_session_client_new2(&created, callbacks, user, options) == 0, let created else {
            fail(HTTPClientError(.protocol, "cannot create an HTTP/2 session"), context: context)
            return
        }
        session = created
        var settings = [
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_ENABLE_PUSH.rawValue), value: 0),
            nghttp2_settings_entry(
                settings_id: Int32(NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE.rawValue),
                value: UInt32(Self.localWindow)),
            nghttp2_settings_entry(settings_id: Int32(NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS.rawValue), value: 100),
        ]
        nghttp2_submit_settings(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), &settings, settings.count)
        nghttp2_session_set_local_window_size(created, UInt8(NGHTTP2_FLAG_NONE.rawValue), 0, Self.localWindow)
        sendPending(context: context)
        armLivenessTimer(context: context)
    }

    private func armLivenessTimer(context: ChannelHandlerContext) {
        pingTimer = context.eventLoop.assumeIsolated().scheduleTask(in: pingInterval) { [self] in
            livenessTick()
            if let context = self.context, session != nil { armLivenessTimer(context: context) }
        }
    }

    /// PING for liveness: a connection with streams open that hears nothing for a whole interval is asked; one
    /// that still hears nothing an interval later is dead, and its streams fail as timeouts.
    private func livenessTick() {
        guard let session, let context else { return }
        defer { readSinceTick = false }
        if readSinceTick || streams.isEmpty {
            pingOutstanding = false
            return
        }
        if pingOutstanding {
            fail(
                HTTPClientError(
                    .timeout, "the server stopped answering (no PING reply within \(pingInterval.seconds))"),
                context: context)
            return
        }
        pingOutstanding = true
        nghttp2_submit_ping(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), nil)
        sendPending(context: context)
    }

    // MARK: Callback bodies (called by nghttp2 through the C functions below)

    fileprivate func header(streamID: Int32, name: UnsafeBufferPointer<UInt8>, value: UnsafeBufferPointer<UInt8>) {
        guard let stream = streams[streamID] else { return }
        if name.count == 7, name.elementsEqual(":status".utf8) {
            stream.status = Self.parseStatus(value)
        } else if stream.exchange.keepsBody {
            stream.headers.add(
                name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
        }
    }

    fileprivate func data(streamID: Int32, bytes: UnsafeBufferPointer<UInt8>) {
        guard let stream = streams[streamID] else { return }
        stream.bodyBytes += bytes.count
        guard stream.exchange.keepsBody else { return }
        if stream.bodyBytes > HTTP1ClientHandler.maxBodyBytes {
            if let session {
                nghttp2_submit_rst_stream(session, UInt8(NGHTTP2_FLAG_NONE.rawValue), streamID, NGHTTP2_CANCEL.rawValue)
            }
            streams[streamID] = nil
            stream.timer?.cancel()
            finished.append(
                (
                    stream.exchange,
                    .failure(
                        HTTPClientError(
                            .protocol, "the response body is larger than \(HTTP1ClientHandler.maxBodyBytes >> 20) MiB"))
                ))
            return
        }
        if stream.body == nil, let context {
            stream.body = context.channel.allocator.buffer(capacity: bytes.count)
        }
        stream.body?.writeBytes(bytes)
    }

    fileprivate func frameReceived(type: UInt8, flags: UInt8, streamID: Int32) {
        switch UInt32(type) {
        case NGHTTP2_RST_STREAM.rawValue:
            resetByServer.insert(streamID)
        case NGHTTP2_SETTINGS.rawValue where flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) == 0:
            guard let session else { return }
            let limit = Int(nghttp2_session_get_remote_settings(session, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS))
            let changed = limit != serverStreams
            serverStreams = limit
            if !sawSettings {
                // Announced once nghttp2 has returned, like every outcome.
                sawSettings = true
                readyCapacity = capacity
            } else if changed {
                events(.capacity(capacity))
            }
        case NGHTTP2_GOAWAY.rawValue:
            if !goingAway {
                goingAway = true
                events(.draining)
            }
        case NGHTTP2_PING.rawValue where flags & UInt8(NGHTTP2_FLAG_ACK.rawValue) != 0:
            pingOutstanding = false
        default:
            break
        }
    }

    fileprivate func streamClosed(_ id: Int32, errorCode: UInt32) {
        let serverReset = resetByServer.remove(id) != nil
        guard let stream = streams.removeValue(forKey: id) else { return }
        stream.timer?.cancel()
        let result: Result<HTTPResponse, HTTPClientError>
        if errorCode == NGHTTP2_NO_ERROR.rawValue && stream.status > 0 {
            result = .success(
                HTTPResponse(
                    status: stream.status, headers: ResponseHeaders(stream.headers),
                    body: stream.body ?? HTTPResponse.noBody, bodyBytes: stream.bodyBytes, sentAt: stream.sentAt,
                    completedAt: .now))
        } else if errorCode == NGHTTP2_REFUSED_STREAM.rawValue {
            // The server did not process it (GOAWAY below its id, or REFUSED_STREAM): safe to send again.
            result = .failure(HTTPClientError(.refused, "the server refused the stream before processing it"))
        } else if serverReset {
            let name = String(cString: nghttp2_http2_strerror(errorCode))
            result = .failure(HTTPClientError(.reset, "the server reset the stream (\(name))"))
        } else {
            let name = String(cString: nghttp2_http2_strerror(errorCode))
            result = .failure(HTTPClientError(.protocol, "the server broke HTTP/2: \(lastCodecError ?? name)"))
        }
        finished.append((stream.exchange, result))
    }

    fileprivate func notSent(streamID: Int32, type: UInt8, error: Int32) {
        guard UInt32(type) == NGHTTP2_HEADERS.rawValue, let stream = streams.removeValue(forKey: streamID) else {
            return
        }
        stream.timer?.cancel()
        finished.append(
            (
                stream.exchange,
                .failure(
                    HTTPClientError(
                        .refused, "the request was not sent: \(String(cString: nghttp2_strerror(error)))"))
            ))
    }

    fileprivate func codecError(_ message: String) {
        lastCodecError = message
    }

    /// Copies the next part of a stream's request body into nghttp2's buffer.
    fileprivate func readBody(
        streamID: Int32, into buffer: UnsafeMutablePointer<UInt8>, length: Int,
        flags: UnsafeMutablePointer<UInt32>
    ) -> Int {
        guard let stream = streams[streamID], var pending = stream.pendingBody else {
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
            return 0
        }
        let count = min(length, pending.readableBytes)
        pending.withUnsafeReadableBytes { bytes in
            buffer.update(from: bytes.baseAddress!.assumingMemoryBound(to: UInt8.self), count: count)
        }
        pending.moveReaderIndex(forwardBy: count)
        stream.pendingBody = pending
        if pending.readableBytes == 0 {
            stream.pendingBody = nil
            flags.pointee |= NGHTTP2_DATA_FLAG_EOF.rawValue
        }
        return count
    }

    static func parseStatus(_ bytes: UnsafeBufferPointer<UInt8>) -> Int {
        guard bytes.count == 3 else { return 0 }
        var value = 0
        for byte in bytes {
            guard byte >= 0x30 && byte <= 0x39 else { return 0 }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }
}

// MARK: - nghttp2 callbacks: C functions that find the handler through the user-data pointer.

/// The handler a callback is for, borrowed for the call: the session holds it unretained and the handler
/// outlives the session, so a retain and a release per callback (a dozen a response) would buy nothing.
private func withHandler<Result>(
    _ user: UnsafeMutableRawPointer?, _ body: (HTTP2ClientHandler) -> Result
) -> Result {
    Unmanaged<HTTP2ClientHandler>.fromOpaque(user!)._withUnsafeGuaranteedRef(body)
}

private let onHeader: nghttp2_on_header_callback = { _, frame, name, nameLength, value, valueLength, _, user in
    guard let frame, frame.pointee.hd.type == UInt8(NGHTTP2_HEADERS.rawValue) else { return 0 }
    withHandler(user) {
        $0.header(
            streamID: frame.pointee.hd.stream_id, name: UnsafeBufferPointer(start: name, count: nameLength),
            value: UnsafeBufferPointer(start: value, count: valueLength))
    }
    return 0
}

private let onData: nghttp2_on_data_chunk_recv_callback = { _, _, streamID, bytes, length, user in
    withHandler(user) { $0.data(streamID: streamID, bytes: UnsafeBufferPointer(start: bytes, count: length)) }
    return 0
}

private let onFrame: nghttp2_on_frame_recv_callback = { _, frame, user in
    guard let frame else { return 0 }
    withHandler(user) {
        $0.frameReceived(
            type: frame.pointee.hd.type, flags: frame.pointee.hd.flags, streamID: frame.pointee.hd.stream_id)
    }
    return 0
}

private let onStreamClose: nghttp2_on_stream_close_callback = { _, streamID, errorCode, user in
    withHandler(user) { $0.streamClosed(streamID, errorCode: errorCode) }
    return 0
}

private let onFrameNotSent: nghttp2_on_frame_not_send_callback = { _, frame, error, user in
    guard let frame else { return 0 }
    withHandler(user) { $0.notSent(streamID: frame.pointee.hd.stream_id, type: frame.pointee.hd.type, error: error) }
    return 0
}

private let onError: nghttp2_error_callback2 = { _, _, message, length, user in
    if let message {
        let text = message.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
        withHandler(user) { $0.codecError(text) }
    }
    return 0
}

private let onInvalidFrame: nghttp2_on_invalid_frame_recv_callback = { _, frame, error, user in
    let type = frame.map { Int($0.pointee.hd.type) } ?? -1
    withHandler(user) { $0.codecError("invalid frame of type \(type): \(String(cString: nghttp2_strerror(error)))") }
    return 0
}

private let readBodyCallback: nghttp2_data_source_read_callback = { _, streamID, buffer, length, flags, _, user in
    guard let buffer, let flags else { return Int(NGHTTP2_ERR_CALLBACK_FAILURE.rawValue) }
    return withHandler(user) { $0.readBody(streamID: streamID, into: buffer, length: length, flags: flags) }
}
