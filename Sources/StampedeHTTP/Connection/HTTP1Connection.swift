import NIOCore
import NIOHTTP1

/// An HTTP/1.1 connection (plain or over TLS): one request at a time, keep-alive when the server allows.
final class HTTP1Connection: PooledConnection {
    let channel: any Channel
    let origin: Origin
    var initialCapacity: Int { 1 }

    init(channel: any Channel, origin: Origin) {
        self.channel = channel
        self.origin = origin
    }

    func send(_ request: HTTPRequest, timeout: TimeAmount) -> EventLoopFuture<ExchangeResult> {
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.target)
        head.headers = request.headers
        if !head.headers.contains(name: "host") { head.headers.add(name: "host", value: origin.hostHeader) }
        if let body = request.body {
            head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        } else if request.method == .POST || request.method == .PUT || request.method == .PATCH {
            head.headers.replaceOrAdd(name: "content-length", value: "0")
        }
        let promise = channel.eventLoop.makePromise(of: ExchangeResult.self)
        // If the write cannot happen (the connection closed meanwhile) the exchange never reaches the handler;
        // fail it here. A second completion of the promise is ignored.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            promise.fail(HTTPClientError(.reset, "the request could not be written: \(error)"))
        }
        channel.writeAndFlush(HTTP1Exchange(head: head, body: request.body, timeout: timeout, promise: promise),
                              promise: written)
        return promise.futureResult
    }

    func reusable(after error: HTTPClientError) -> Bool { false }

    /// The only way to stop an HTTP/1.1 request in flight is to close its connection.
    func abandon() { channel.close(promise: nil) }
}
