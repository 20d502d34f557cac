import NIOCore

/// One request handed to an HTTP/1.1 connection, already encoded, and what to call with its outcome (on the
/// connection's event loop, exactly once).
final class HTTP1Exchange: Sendable {
    /// What is sent: bytes encoded once (a benchmark sends the same buffer every time), or a request the handler
    /// encodes into the connection's own buffer (``HTTP1RequestEncoder``).
    enum Request: Sendable {
        case encoded(ByteBuffer)
        case request(HTTPRequest, host: String)
    }

    let request: Request
    /// A response to HEAD has no body whatever its headers say.
    let isHEAD: Bool
    /// False to count the body's bytes without keeping them, nor the headers (the benchmark).
    let keepsBody: Bool
    /// Nil: no deadline of its own (the benchmark bounds the whole run instead), and no timer per request.
    let timeout: TimeAmount?
    let completion: @Sendable (Result<ExchangeResult, HTTPClientError>) -> Void

    init(
        request: Request, isHEAD: Bool, keepsBody: Bool = true, timeout: TimeAmount?,
        completion: @escaping @Sendable (Result<ExchangeResult, HTTPClientError>) -> Void
    ) {
        self.request = request
        self.isHEAD = isHEAD
        self.keepsBody = keepsBody
        self.timeout = timeout
        self.completion = completion
    }
}
