import NIOCore
import StampedeCore

/// Carries one request at a time over an HTTP/1.1 connection and reads its response with
/// ``HTTP1ResponseParser``: bytes in, bytes out, one write per request. It knows nothing of shoppers or pools: an
/// exchange goes in through ``send(_:)`` on the event loop, a result or a labelled error comes out.
final class HTTP1ClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// Responses larger than this are refused: a load generator must not be made to hold arbitrary data.
    static let maxBodyBytes = HTTP1ResponseParser.maxBodyBytes

    private enum State {
        case idle
        case waiting(HTTP1Exchange, sentAt: ContinuousInstant, deadline: NIODeadline?)
        case closed
    }

    /// One timer for the connection, not one a request: armed for the deadline of the request in flight, and not
    /// cancelled by its response (NIO finds a cancelled timer by searching its whole heap). When it fires, it
    /// times out the request then in flight if that one's deadline has passed, or is armed for it again.
    private var timer: (at: NIODeadline, scheduled: Scheduled<Void>)?

    private var state = State.idle
    private var parser = HTTP1ResponseParser()
    /// The buffer the last request was encoded into, kept to encode the next one: once the socket has taken the
    /// bytes nothing else holds it, and clearing it costs no allocation (two a request, storage and bytes, when
    /// each request had a buffer of its own). Kept only while small, so an idle connection holds little.
    private var requestBuffer: ByteBuffer?
    static let keptRequestBufferBytes = 1024
    private var context: ChannelHandlerContext?
    /// True once the channel has said it is active, until it says it is not: asking the channel copies its
    /// lifecycle state (a retain and a release), and `send` asked on every request. Only when this is false is the
    /// channel asked: it is active before it says so (a connect's future completes first).
    private var channelIsActive = false

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        channelIsActive = context.channel.isActive
    }

    func channelActive(context: ChannelHandlerContext) {
        channelIsActive = true
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        failPending(HTTPClientError(.reset, "the connection was taken down"))
        self.context = nil
    }

    /// Sends the exchange's request (on the event loop); a connection that is busy or closed fails it at once.
    /// `sentAt` is the clock's reading when the caller has just taken one (a benchmark sends as a response ends),
    /// else nil to read it here.
    func send(_ exchange: HTTP1Exchange, sentAt: ContinuousInstant? = nil) {
        guard case .idle = state, let context, channelIsActive || context.channel.isActive else {
            let reason = if case .waiting = state { "the connection is busy" } else { "the connection is closed" }
            return exchange.completion(.failure(HTTPClientError(.reset, reason)))
        }
        let deadline = exchange.timeout.map { NIODeadline.now() + $0 }
        state = .waiting(exchange, sentAt: sentAt ?? .now, deadline: deadline)
        if let deadline { armTimer(for: deadline, context: context) }
        parser.isHEAD = exchange.isHEAD
        parser.keepsBody = exchange.keepsBody
        switch exchange.request {
        case .encoded(let bytes):
            context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        case .request(let request, let host):
            // Still shared (bytes the socket has not taken yet), clearing it makes a new one: never overwritten.
            var buffer = requestBuffer.take() ?? context.channel.allocator.buffer(capacity: 0)
            buffer.clear()
            HTTP1RequestEncoder.encode(request, host: host, into: &buffer)
            context.writeAndFlush(wrapOutboundOut(buffer), promise: nil)
            if buffer.capacity <= Self.keptRequestBufferBytes { requestBuffer = buffer }
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .waiting = state else {
            if case .closed = state { return }
            // Bytes while nothing was asked: the server is not speaking HTTP/1.1 request-response.
            return fail(
                HTTPClientError(.protocol, "the server sent a response that was not asked for"), context: context)
        }
        parser.feed(unwrapInboundIn(data))
        deliver(parser.next(), context: context)
    }

    func channelInactive(context: ChannelHandlerContext) {
        channelIsActive = false
        if case .waiting = state {
            // A body delimited by the close is complete now.
            let outcome = parser.endOfInput()
            if case .response = outcome { deliver(outcome, context: context) }
        }
        failPending(HTTPClientError(.reset, "the connection closed before the response was complete"))
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: HTTPClientError
        switch error {
        case let error as HTTPClientError: failure = error
        case let error as IOError:
            failure = HTTPClientError(.reset, "the connection failed: \(HTTPClientError.reason(error))")
        default: failure = HTTPClientError(.protocol, "\(error)")
        }
        fail(failure, context: context)
    }

    /// Consumes the outcome: its headers and body move into the response, where a copy was a retain and a release
    /// of each buffer.
    private func deliver(_ outcome: consuming HTTP1ResponseParser.Outcome, context: ChannelHandlerContext) {
        switch consume outcome {
        case .needMore:
            return
        case .failure(let message):
            fail(HTTPClientError(.protocol, "the response is not valid HTTP/1.1: \(message)"), context: context)
        case .response(let parsed):
            guard case .waiting(let exchange, let sentAt, _) = state else { return }
            let keepAlive = parsed.keepAlive
            if keepAlive && parser.hasUnparsedBytes {
                // More bytes than the one response asked for: nothing can be trusted on this connection.
                return fail(
                    HTTPClientError(.protocol, "the server sent a response that was not asked for"),
                    context: context)
            }
            state = keepAlive ? .idle : .closed
            let response = HTTPResponse(
                status: parsed.status, headers: parsed.headers,
                body: parsed.body ?? HTTPResponse.noBody, bodyBytes: parsed.bodyBytes, sentAt: sentAt,
                completedAt: .now)
            exchange.completion(.success(ExchangeResult(response: consume response, reusable: keepAlive)))
            if !keepAlive { context.close(promise: nil) }
        }
    }

    private func armTimer(for deadline: NIODeadline, context: ChannelHandlerContext) {
        if let timer {
            guard deadline < timer.at else { return }
            timer.scheduled.cancel()
        }
        let scheduled = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
            self.timerFired(context: context)
        }
        timer = (deadline, scheduled)
    }

    private func timerFired(context: ChannelHandlerContext) {
        timer = nil
        guard case .waiting(let exchange, _, let deadline?) = state else { return }
        guard deadline <= .now() else { return armTimer(for: deadline, context: context) }
        fail(.noCompleteResponse(within: exchange.timeout), context: context)
    }

    private func fail(_ error: HTTPClientError, context: ChannelHandlerContext) {
        failPending(error)
        state = .closed
        context.close(promise: nil)
    }

    private func failPending(_ error: HTTPClientError) {
        timer?.scheduled.cancel()
        timer = nil
        if case .waiting(let exchange, _, _) = state {
            state = .closed
            exchange.completion(.failure(error))
        }
    }
}

extension TimeAmount {
    var seconds: String {
        let value = Double(nanoseconds) / 1e9
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
