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
    /// Runs `body` with the bound value and `argument` on its event loop: at once when already there (the hot
    /// path of the benchmark and of shoppers, whose tasks run on the loop: no task hop), else as a task on that
    /// loop. `argument` is passed, not captured: a `body` that captures nothing needs no closure context, where one
    /// that captured the request allocated its context on every call, the hot path too (it escapes on the other).
    func withValueOnLoop<Argument: Sendable>(
        _ argument: Argument, _ body: @escaping @Sendable (Value, Argument) -> Void
    ) {
        if eventLoop.inEventLoop {
            body(value, argument)
        } else {
            eventLoop.execute { body(self.value, argument) }
        }
    }
}
