/// Which HTTP a target speaks.
public enum HTTPProtocolChoice: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// HTTP/1.1, over TLS for https:// targets.
    case http1
    /// HTTP/2 in cleartext with prior knowledge (http:// targets).
    case h2c
    /// HTTP/2 over TLS, ALPN `h2` required (https:// targets).
    case h2
    /// https://: ALPN decides between h2 and http/1.1; http://: HTTP/1.1.
    case auto

    public var description: String { rawValue }

    /// Why the choice cannot work for a URL's scheme, or nil when it can.
    public func mismatch(_ scheme: Origin.Scheme) -> String? {
        switch (self, scheme) {
        case (.h2c, .https): "h2c is HTTP/2 in cleartext; an https:// target wants h2 or auto"
        case (.h2, .http): "h2 is HTTP/2 over TLS; an http:// target wants h2c (or an https:// target)"
        default: nil
        }
    }
}
