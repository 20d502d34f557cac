/// One shopper's cookies for one origin: remembers `Set-Cookie` values and sends them back.
public struct CookieJar: Sendable, Equatable {
    private var cookies: [(name: String, value: String)] = []

    public init() {}

    public static func == (lhs: CookieJar, rhs: CookieJar) -> Bool {
        lhs.cookies.elementsEqual(rhs.cookies) { $0 == $1 }
    }

    public var isEmpty: Bool { cookies.isEmpty }

    /// Takes in one `Set-Cookie` header value. Attributes (Path, Max-Age, …) are ignored, except that an expiry
    /// in the past (`Max-Age=0` or less) deletes the cookie.
    public mutating func store(setCookie header: String) {
        let parts = header.split(separator: ";", omittingEmptySubsequences: false)
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return }
        let name = String(pair[..<equals].trimmingWhitespace())
        let value = String(pair[pair.index(after: equals)...].trimmingWhitespace())
        guard !name.isEmpty else { return }
        let expired = parts.dropFirst().contains { attribute in
            let field = attribute.trimmingWhitespace().lowercased()
            guard field.hasPrefix("max-age="), let age = Int(field.dropFirst("max-age=".count)) else { return false }
            return age <= 0
        }
        cookies.removeAll { $0.name == name }
        if !expired { cookies.append((name, value)) }
    }

    /// The `Cookie` header to send, or nil with no cookies.
    public var header: String? {
        cookies.isEmpty ? nil : cookies.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }
}
