/// An absolute http(s) URL split the way a request needs it: the origin it goes to and the request target (path
/// and query). Resolves references found in responses (`/api/payment/61/`, `../basket/`, `?page=2`,
/// `http://host/api/products/3/`) against the URL of the response, as RFC 3986 §5.2 says.
public struct RequestURL: Hashable, Sendable, CustomStringConvertible {
    public var origin: Origin
    /// The path and query, starting with `/`.
    public var target: String

    public init(origin: Origin, target: String) {
        self.origin = origin
        self.target = Self.sendable(target.hasPrefix("/") ? target : "/" + target)
    }

    /// The target as a request line can carry it, taken the way a browser takes a URL: tabs and line breaks
    /// dropped, and the other bytes a request line cannot hold (controls, space, DEL, non-ASCII) percent-encoded.
    /// A URL a response handed out (`/pay/1 HTTP/1.1\r\nX-Admin: 1`), or a `|raw` value, was sent as it came:
    /// it ended the request line early and added headers of its own.
    static func sendable(_ target: String) -> String {
        guard target.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F }) else { return target }
        let digits = Array("0123456789ABCDEF".utf8)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(target.utf8.count * 3)
        for byte in target.utf8 {
            switch byte {
            case 0x09, 0x0A, 0x0D: continue
            case 0...0x20, 0x7F...: bytes += [UInt8(ascii: "%"), digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            default: bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Parses `http://host:port/path?query#fragment` (the fragment is dropped); nil when it is not an http(s) URL.
    public init?(absolute text: String) {
        guard let origin = Origin(url: text) else { return nil }
        let afterScheme = text.drop { $0 != "/" }.dropFirst(2)
        let rest = afterScheme.drop { $0 != "/" && $0 != "?" && $0 != "#" }
        var target = String(rest.prefix { $0 != "#" })
        if target.hasPrefix("?") || target.isEmpty { target = "/" + target }
        self.init(origin: origin, target: Self.removingDotSegments(target))
    }

    public var description: String { origin.description + target }

    /// The path alone (without the query).
    public var path: String { String(target.prefix { $0 != "?" }) }

    /// True when the text is an absolute http(s) URL (or scheme-relative, `//host/…`).
    public static func isAbsolute(_ text: String) -> Bool {
        text.hasPrefix("http://") || text.hasPrefix("https://") || text.hasPrefix("//")
    }

    /// The URL a reference in a response to this URL points at; nil for a scheme other than http(s).
    public func resolve(_ reference: String) -> RequestURL? {
        let reference = String(reference.prefix { $0 != "#" })
        if reference.hasPrefix("//") { return RequestURL(absolute: origin.scheme.rawValue + ":" + reference) }
        if let colon = reference.firstIndex(of: ":"), !reference[..<colon].contains("/"),
            !reference[..<colon].contains("?")
        {
            return RequestURL(absolute: reference)
        }
        if reference.isEmpty { return self }
        if reference.hasPrefix("/") { return RequestURL(origin: origin, target: Self.removingDotSegments(reference)) }
        if reference.hasPrefix("?") { return RequestURL(origin: origin, target: path + reference) }
        let directory = path.prefix(through: path.lastIndex(of: "/") ?? path.startIndex)
        return RequestURL(origin: origin, target: Self.removingDotSegments(String(directory) + reference))
    }

    /// RFC 3986 §5.2.4 on the path part of a target.
    static func removingDotSegments(_ target: String) -> String {
        let query = target.firstIndex(of: "?").map { String(target[$0...]) } ?? ""
        let path = target.prefix { $0 != "?" }
        guard path.contains(".") else { return target }
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            let last = index == segments.count - 1
            switch segment {
            case ".":
                if last { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if last { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/") + query
    }
}
