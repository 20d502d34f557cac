import NIOCore
import NIOHTTP1
import StampedeCore

/// An HTTP/2 connection (h2c or h2 over TLS): many streams at once over one nghttp2 session.
final class HTTP2Connection: PooledConnection {
    let channel: any Channel
    let origin: Origin
    let initialCapacity: Int
    private let handler: NIOLoopBound<HTTP2ClientHandler>

    init(channel: any Channel, origin: Origin, handler: HTTP2ClientHandler, capacity: Int) {
        self.channel = channel
        self.origin = origin
        self.initialCapacity = capacity
        self.handler = NIOLoopBound(handler, eventLoop: channel.eventLoop)
    }

    func send(
        _ request: HTTPRequest, timeout: TimeAmount,
        completion: @escaping @Sendable (Result<ExchangeResult, HTTPClientError>) -> Void
    ) {
        let headers = HeaderBlock(
            method: request.method.rawValue, scheme: origin.scheme.rawValue, authority: origin.hostHeader,
            path: request.target, headers: request.headers)
        submit(
            HTTP2Exchange(headers: headers, body: request.body, timeout: timeout) { result in
                completion(result.map { ExchangeResult(response: $0, reusable: true) })
            })
    }

    /// Opens a stream for the exchange, from any thread. `sentAt`: a reading of the clock just taken on the
    /// connection's event loop, if the caller has one.
    func submit(_ exchange: HTTP2Exchange, sentAt: ContinuousInstant? = nil) {
        handler.withValueOnLoop((exchange, sentAt)) { handler, request in handler.submit(request.0, sentAt: request.1) }
    }

    /// A failed stream leaves the connection usable unless the connection itself went down.
    func reusable(after error: HTTPClientError) -> Bool { channel.isActive }

    /// The stream's outcome is dropped when it arrives; the other streams go on.
    func abandon() {}
}
