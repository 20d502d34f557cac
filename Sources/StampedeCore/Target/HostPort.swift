/// Where a coordinator listens or a worker dials: `host:port` with a DNS name, an IPv4 literal, or an IPv6 literal
/// in brackets (`[::1]:7070`). An empty host (`:7070`) is the default host.
public struct HostPort: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case ipv4
        case ipv6
        /// A name to resolve (every address it has is tried in turn).
        case name
    }

    /// Without brackets.
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`, `[v6]:port` or `:port`; nil when it is none of them.
    public init?(_ text: String, defaultHost: String = "127.0.0.1") {
        let text = text.trimmingWhitespace()
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                return nil
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard host.contains(":") else { return nil }
        } else {
            guard let colon = text.lastIndex(of: ":") else { return nil }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            // An IPv6 literal needs brackets, or its last group would read as the port.
            guard !host.contains(":") else { return nil }
        }
        guard let port = Int(portText), (0...65_535).contains(port) else { return nil }
        if host.isEmpty { host = Substring(defaultHost) }
        guard host.allSatisfy({ $0.isLetter || $0.isNumber || "-._:%".contains($0) }) else { return nil }
        self.init(host: String(host), port: port)
    }

    public var kind: Kind {
        if host.contains(":") { return .ipv6 }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 3 && UInt8($0) != nil }) { return .ipv4 }
        return .name
    }

    public var description: String { kind == .ipv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
