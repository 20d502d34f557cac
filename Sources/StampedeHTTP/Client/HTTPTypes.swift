public import NIOCore
public import NIOHTTP1
import NIOPosix
public import StampedeCore

#if canImport(Glibc)
import Glibc
#endif

/// A request to send.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    /// The path and query ("/products/42?x=1").
    public var target: String
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(method: HTTPMethod = .GET, target: String, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.method = method
        self.target = target
        self.headers = headers
        self.body = body
    }
}

/// A complete response, with when the request was actually sent and when the response was complete.
public struct HTTPResponse: Sendable {
    public var status: Int
    public var headers: ResponseHeaders
    /// Empty when the body was only counted (``bodyBytes``), as a benchmark asks.
    public var body: ByteBuffer
    /// How many body bytes arrived, kept or not.
    public var bodyBytes: Int
    /// When the request was written to a connection (after any wait for a free connection).
    public var sentAt: ContinuousInstant
    /// When the last byte of the response arrived.
    public var completedAt: ContinuousInstant

    public init(
        status: Int, headers: ResponseHeaders, body: ByteBuffer, bodyBytes: Int? = nil, sentAt: ContinuousInstant,
        completedAt: ContinuousInstant
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.bodyBytes = bodyBytes ?? body.readableBytes
        self.sentAt = sentAt
        self.completedAt = completedAt
    }
}

extension HTTPResponse {
    /// The body of a response without one, or whose body was only counted: one buffer shared by all of them,
    /// where a buffer of their own was an allocation a response.
    static let noBody = ByteBuffer()
}

/// Why a request got no response. `code.label` is a bounded name for reports.
public struct HTTPClientError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let label: String
        public var description: String { label }

        public static let connect = Code(label: "connect")
        /// This process could not open another socket: out of file descriptors (its own limit, or the system's).
        /// Its label is the report's `ErrorLabel.files`.
        public static let files = Code(label: ErrorLabel.files.rawValue)
        public static let timeout = Code(label: "timeout")
        public static let reset = Code(label: "reset")
        public static let `protocol` = Code(label: "protocol")
        public static let shutdown = Code(label: "shutdown")
        /// The task that sent the request was cancelled (the run stopped).
        public static let cancelled = Code(label: "cancelled")
        public static let unsupported = Code(label: "unsupported")
        /// The TLS handshake or a TLS record failed.
        public static let tls = Code(label: ErrorLabel.tls.rawValue)
        /// The server's certificate is not trusted (or the CA file cannot be read).
        public static let certificate = Code(label: ErrorLabel.certificate.rawValue)
        /// The server would not speak the protocol asked for (ALPN).
        public static let protocolMismatch = Code(label: ErrorLabel.protocolMismatch.rawValue)
        /// The server refused the request without processing it (HTTP/2 GOAWAY or REFUSED_STREAM); the pool
        /// sends it again elsewhere, so a caller sees this only when retries ran out.
        public static let refused = Code(label: "refused")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.label): \(message)" }

    private static let noCompleteResponse = "no complete response"

    /// The exchange's timer went off: `within` is the time the exchange had (the request's timeout, less its wait for
    /// a connection).
    static func noCompleteResponse(within limit: TimeAmount?) -> HTTPClientError {
        HTTPClientError(.timeout, noCompleteResponse + (limit.map { " within \($0.seconds)" } ?? ""))
    }

    /// The same, said with the whole timeout of the request, which is what a person set (`--timeout 1s` read "no
    /// complete response within 0.99587323 s" when a connection took 4 ms to open).
    public func saidWithTimeout(_ timeout: Duration) -> HTTPClientError {
        guard code == .timeout, message.hasPrefix(Self.noCompleteResponse) else { return self }
        return Self.noCompleteResponse(within: TimeAmount(timeout))
    }

    /// A failed connection attempt to `origin`, with the reason a person needs ("connection refused"), not the
    /// event loop's error dump.
    static func connect(to origin: some CustomStringConvertible, _ error: any Error) -> HTTPClientError {
        if let error = error as? HTTPClientError { return error }
        if errnoCodes(error).contains(where: { $0 == EMFILE || $0 == ENFILE }) {
            return HTTPClientError(
                .files,
                "cannot open a connection to \(origin): \(reason(error)) (this machine's limit on open files, "
                    + "ulimit -n, not the target)")
        }
        return HTTPClientError(.connect, "cannot connect to \(origin): \(reason(error))")
    }

    /// The system errors under a failed connection attempt (one an address tried).
    static func errnoCodes(_ error: any Error) -> [Int32] {
        if let io = error as? IOError { return [io.errnoCode] }
        if let connection = error as? NIOConnectionError {
            return connection.connectionErrors.flatMap { errnoCodes($0.error) }
        }
        return []
    }

    /// What a person reads of a failed connection attempt: "connection refused", "cannot resolve HOST".
    public static func reason(_ error: any Error) -> String {
        if let io = error as? IOError { return String(cString: strerror(io.errnoCode)).lowercased() }
        if let connection = error as? NIOConnectionError {
            if connection.connectionErrors.isEmpty {
                return "cannot resolve \(connection.host)"
            }
            var reasons: [String] = []
            for failure in connection.connectionErrors where !reasons.contains(reason(failure.error)) {
                reasons.append(reason(failure.error))
            }
            return reasons.joined(separator: "; ")
        }
        return "\(error)"
    }
}
