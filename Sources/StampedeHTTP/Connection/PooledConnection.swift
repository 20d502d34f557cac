import NIOCore

/// A response, and whether its connection may carry another request.
struct ExchangeResult: Sendable {
    var response: HTTPResponse
    var reusable: Bool
}

/// What a pool hands out: an open connection of either protocol. HTTP/1.1 carries one request at a time, HTTP/2
/// as many as its streams allow; the pool only counts slots.
protocol PooledConnection: AnyObject, Sendable {
    var channel: any Channel { get }
    /// How many requests it may carry at once when it opens.
    var initialCapacity: Int { get }
    /// Sends a request; `completion` is called exactly once, with the response or an ``HTTPClientError``, on
    /// the connection's event loop.
    func send(
        _ request: HTTPRequest, timeout: TimeAmount,
        completion: @escaping @Sendable (Result<ExchangeResult, HTTPClientError>) -> Void
    )
    /// Whether the connection may carry more after this request failed.
    func reusable(after error: HTTPClientError) -> Bool
    /// The request's task was cancelled: make sure nothing more of it reaches the target.
    func abandon()
}

extension NIOLoopBound {
    /// Runs `body` with the bound value on its event loop: at once when already there (the benchmark's hot path,
    /// no task hop), else as a task on that loop.
    func withValueOnLoop(_ body: @escaping @Sendable (Value) -> Void) {
        if eventLoop.inEventLoop {
            body(value)
        } else {
            eventLoop.execute { body(self.value) }
        }
    }
}
