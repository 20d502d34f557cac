/// A bounded name for why a request or a shopper failed: a key in reports and metrics, never with values in it.
public struct ErrorLabel: RawRepresentable, Codable, Hashable, Sendable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }

    public var description: String { rawValue }

    public static func < (lhs: ErrorLabel, rhs: ErrorLabel) -> Bool { lhs.rawValue < rhs.rawValue }

    /// The connection could not be opened.
    public static let connect = ErrorLabel(rawValue: "connect")
    /// The connection could not be opened because the generator had no file left to open (EMFILE, ENFILE): the
    /// generator's failure, not the target's.
    public static let files = ErrorLabel(rawValue: "files")
    /// The TLS handshake or a TLS record failed.
    public static let tls = ErrorLabel(rawValue: "tls")
    /// The target's certificate is not trusted (or the CA file cannot be read).
    public static let certificate = ErrorLabel(rawValue: "certificate")
    /// The target would not speak the protocol asked for (ALPN).
    public static let protocolMismatch = ErrorLabel(rawValue: "protocol-mismatch")
    /// No (complete) response within the request timeout.
    public static let timeout = ErrorLabel(rawValue: "timeout")
    /// The connection closed or was reset before the response was complete.
    public static let reset = ErrorLabel(rawValue: "reset")
    /// The response could not be parsed.
    public static let `protocol` = ErrorLabel(rawValue: "protocol")
    public static let status5xx = ErrorLabel(rawValue: "status_5xx")
    public static let status4xx = ErrorLabel(rawValue: "status_4xx")
    /// A response arrived but a check on it failed (status outside the expected set, body text missing).
    public static let check = ErrorLabel(rawValue: "check")
    /// A value to extract from the response was not there.
    public static let extract = ErrorLabel(rawValue: "extract")
    /// The run ended while the shopper was still going.
    public static let cancelled = ErrorLabel(rawValue: "cancelled")
    /// The worker running the shopper was lost before the shopper ended.
    public static let workerLost = ErrorLabel(rawValue: "worker_lost")
    /// A request could not be built (a template value missing, or a filter could not convert one).
    public static let request = ErrorLabel(rawValue: "request")
    /// A URL (from a response, or a redirect) goes to an origin that is neither the target nor one the scenario
    /// lists under `origins:`.
    public static let origin = ErrorLabel(rawValue: "origin")
}

extension ErrorLabel: CodingKeyRepresentable {
    public var codingKey: any CodingKey { Key(stringValue: rawValue) }

    public init?<T: CodingKey>(codingKey: T) { self.init(rawValue: codingKey.stringValue) }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
