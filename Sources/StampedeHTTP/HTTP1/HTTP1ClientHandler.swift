import NIOCore
import NIOHTTP1

/// Carries one request at a time over an HTTP/1.1 connection and assembles its response. It knows nothing of
/// shoppers or pools: an exchange goes in, a result or a labelled error comes out.
final class HTTP1ClientHandler: ChannelDuplexHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = HTTP1Exchange
    typealias OutboundOut = HTTPClientRequestPart

    /// Responses larger than this are refused: a load generator must not be made to hold arbitrary data.
    static let maxBodyBytes = 16 << 20

    private enum State {
        case idle
        case waiting(HTTP1Exchange, sentAt: ContinuousClock.Instant, timer: Scheduled<Void>?)
        case receiving(
            HTTP1Exchange, sentAt: ContinuousClock.Instant, timer: Scheduled<Void>?, head: HTTPResponseHead,
            body: ByteBuffer?)
        case closed
    }

    private var state = State.idle

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard case .idle = state else {
            let reason = if case .closed = state { "the connection is closed" } else { "the connection is busy" }
            exchange.promise.fail(HTTPClientError(.reset, reason))
            promise?.fail(HTTPClientError(.reset, reason))
            return
        }
        let timer = context.eventLoop.assumeIsolated().scheduleTask(in: exchange.timeout) {
            self.timedOut(context: context)
        }
        state = .waiting(exchange, sentAt: .now, timer: timer)
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        if let body = exchange.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .waiting(let exchange, let sentAt, let timer)):
            if head.status == .continue { return }
            state = .receiving(exchange, sentAt: sentAt, timer: timer, head: head, body: nil)
        case (.body(var part), .receiving(let exchange, let sentAt, let timer, let head, var body)):
            if (body?.readableBytes ?? 0) + part.readableBytes > Self.maxBodyBytes {
                fail(HTTPClientError(.protocol, "the response body is larger than \(Self.maxBodyBytes >> 20) MiB"),
                     context: context)
                return
            }
            if body == nil {
                body = part
            } else {
                body!.writeBuffer(&part)
            }
            state = .receiving(exchange, sentAt: sentAt, timer: timer, head: head, body: body)
        case (.end, .receiving(let exchange, let sentAt, let timer, let head, let body)):
            timer?.cancel()
            let keepAlive = head.isKeepAlive
            state = keepAlive ? .idle : .closed
            let response = HTTPResponse(
                status: Int(head.status.code), headers: head.headers,
                body: body ?? context.channel.allocator.buffer(capacity: 0), sentAt: sentAt, completedAt: .now)
            exchange.promise.succeed(ExchangeResult(response: response, reusable: keepAlive))
            if !keepAlive { context.close(promise: nil) }
        case (_, .closed):
            return
        default:
            fail(HTTPClientError(.protocol, "the server sent a response that was not asked for"), context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        failPending(HTTPClientError(.reset, "the connection closed before the response was complete"))
        state = .closed
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let failure: HTTPClientError
        switch error {
        case let error as HTTPClientError: failure = error
        case HTTPParserError.invalidEOFState:
            failure = HTTPClientError(.reset, "the connection closed before the response was complete")
        case is HTTPParserError: failure = HTTPClientError(.protocol, "the response is not valid HTTP/1.1 (\(error))")
        case let error as IOError: failure = HTTPClientError(.reset, "the connection failed: \(error)")
        default: failure = HTTPClientError(.protocol, "\(error)")
        }
        fail(failure, context: context)
    }

    private func timedOut(context: ChannelHandlerContext) {
        switch state {
        case .waiting(let exchange, _, _), .receiving(let exchange, _, _, _, _):
            fail(HTTPClientError(.timeout, "no complete response within \(exchange.timeout.seconds)"), context: context)
        default:
            return
        }
    }

    private func fail(_ error: HTTPClientError, context: ChannelHandlerContext) {
        failPending(error)
        state = .closed
        context.close(promise: nil)
    }

    private func failPending(_ error: HTTPClientError) {
        switch state {
        case .waiting(let exchange, _, let timer), .receiving(let exchange, _, let timer, _, _):
            timer?.cancel()
            exchange.promise.fail(error)
        case .idle, .closed:
            break
        }
    }
}

extension TimeAmount {
    var seconds: String {
        let value = Double(nanoseconds) / 1e9
        return value == value.rounded() ? "\(Int(value)) s" : "\(value) s"
    }
}
