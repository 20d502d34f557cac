/// Where requests go: scheme, host and port.
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    public enum Scheme: String, Sendable {
        case http
        case https
    }

    public var scheme: Scheme
    public var host: String
    public var port: Int

    public init(scheme: Scheme, host: String, port: Int) {
        self.scheme = scheme
        self.host = host
        self.port = port
    }

    /// Parses `http://host:port` (a path after it is ignored); nil when it is not such a URL.
    public init?(url: String) {
        let scheme: Scheme
        var rest: Substring
        if url.hasPrefix("http://") {
            scheme = .http
            rest = url.dropFirst(7)
        } else if url.hasPrefix("https://") {
            scheme = .https
            rest = url.dropFirst(8)
        } else {
            return nil
        }
        if let slash = rest.firstIndex(of: "/") { rest = rest[..<slash] }
        guard !rest.isEmpty, !rest.contains("@") else { return nil }
        var host: Substring
        var port = scheme == .http ? 80 : 443
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else { return nil }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":"), let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    return nil
                }
                port = number
            }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
        } else {
            host = rest
        }
        guard !host.isEmpty else { return nil }
        self.init(scheme: scheme, host: String(host), port: port)
    }

    /// The value of the `Host` header.
    public var hostHeader: String {
        let bracketed = host.contains(":") ? "[\(host)]" : host
        let defaultPort = scheme == .http ? 80 : 443
        return port == defaultPort ? bracketed : "\(bracketed):\(port)"
    }

    public var description: String { "\(scheme.rawValue)://\(hostHeader)" }

    /// The origin of a URL that is nothing else (`http://host:port`, a trailing `/` at most); nil for a path, a
    /// query, or what ``init(url:)`` refuses. A target of `http://127.0.0.1:8080/shop` was taken as
    /// `http://127.0.0.1:8080`, its path dropped without a word.
    public init?(exactly url: String) {
        guard let origin = Origin(url: url), RequestURL(absolute: url)?.target == "/", !url.contains("#") else {
            return nil
        }
        self = origin
    }

    /// True for 127.0.0.0/8, ::1 and localhost.
    public var isLoopback: Bool {
        if host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1" { return true }
        let parts = host.split(separator: ".")
        return parts.count == 4 && parts[0] == "127" && parts.allSatisfy { UInt8($0) != nil }
    }
}

/// An origin travels as its URL (`http://host:port`), in run records and on the wire.
extension Origin: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let origin = Origin(url: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected an http:// or https:// URL with a host, found \"\(text)\"")
        }
        self = origin
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
