import NIOCore
import NIOHTTP1
import StampedeCore

/// An HTTP/1.1 connection (plain or over TLS): one request at a time, keep-alive when the server allows.
final class HTTP1Connection: PooledConnection {
    let channel: any Channel
    let origin: Origin
    /// The `host` header for its requests, worked out once.
    private let host: String
    var initialCapacity: Int { 1 }

    private let handler: NIOLoopBound<HTTP1ClientHandler>

    init(channel: any Channel, origin: Origin, handler: HTTP1ClientHandler) {
        self.channel = channel
        self.origin = origin
        self.host = origin.hostHeader
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    func send(
        _ request: HTTPRequest, timeout: TimeAmount,
        completion: @escaping @Sendable (Result<ExchangeResult, HTTPClientError>) -> Void
    ) {
        submit(
            HTTP1Exchange(
                request: .request(request, host: host), isHEAD: request.method == .HEAD, timeout: timeout,
                completion: completion))
    }

    /// Hands the exchange to the connection, from any thread; the handler completes it exactly once. `sentAt`: a
    /// reading of the clock just taken on the connection's event loop, if the caller has one.
    func submit(_ exchange: HTTP1Exchange, sentAt: ContinuousInstant? = nil) {
        handler.withValueOnLoop((exchange, sentAt)) { handler, request in handler.send(request.0, sentAt: request.1) }
    }

    func reusable(after error: HTTPClientError) -> Bool { false }

    /// The only way to stop an HTTP/1.1 request in flight is to close its connection.
    func abandon() { channel.close(promise: nil) }
}
