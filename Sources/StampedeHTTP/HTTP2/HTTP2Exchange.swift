import NIOCore

/// One request handed to an HTTP/2 connection, and what to call with its outcome (on the connection's event loop,
/// exactly once).
final class HTTP2Exchange: Sendable {
    let headers: HeaderBlock
    let body: ByteBuffer?
    /// Nil: no deadline of its own (the benchmark bounds the whole run instead).
    let timeout: TimeAmount?
    /// False to count the body's bytes without keeping them (the benchmark).
    let keepsBody: Bool
    let completion: @Sendable (Result<HTTPResponse, HTTPClientError>) -> Void

    init(
        headers: HeaderBlock, body: ByteBuffer?, timeout: TimeAmount?, keepsBody: Bool = true,
        completion: @escaping @Sendable (Result<HTTPResponse, HTTPClientError>) -> Void
    ) {
        self.headers = headers
        self.body = body
        self.timeout = timeout
        self.keepsBody = keepsBody
        self.completion = completion
    }
}

/// What an HTTP/2 connection tells its pool.
enum HTTP2ConnectionEvent: Sendable, Equatable {
    /// The server's SETTINGS_MAX_CONCURRENT_STREAMS changed how many streams this connection may carry.
    case capacity(Int)
    /// GOAWAY: finish what is in flight, send nothing new.
    case draining
}
