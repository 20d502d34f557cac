/// One shopper's cookies across origins, kept as RFC 6265 says: each cookie's domain (host-only or a domain and
/// its subdomains), path, expiry (`Max-Age` before `Expires`), `Secure` and `SameSite`; sent back only where they
/// match, longest path first. Time is a parameter (seconds since 1970), so the jar reads no clock.
public struct CookieJar: Sendable, Equatable {
    public enum SameSite: String, Sendable, Equatable {
        case strict, lax, none
    }

    public struct Cookie: Sendable, Equatable {
        public var name: String
        public var value: String
        /// Lower case, without a leading dot.
        public var domain: String
        /// Sent only to exactly `domain` (no `Domain` attribute was given).
        public var hostOnly: Bool
        public var path: String
        /// Seconds since 1970; nil for a session cookie.
        public var expires: Double?
        public var secure: Bool
        public var httpOnly: Bool
        public var sameSite: SameSite?
        /// Order of creation, for equal path lengths.
        var created: Int
    }

    public private(set) var cookies: [Cookie] = []
    private var counter = 0

    public init() {}

    public var isEmpty: Bool { cookies.isEmpty }

    /// Takes in one `Set-Cookie` header value from a response to `url`, received at `now`.
    public mutating func store(setCookie header: String, from url: RequestURL, now: Double) {
        let parts = header.split(separator: ";", omittingEmptySubsequences: false)
        guard let pair = parts.first, let equals = pair.firstIndex(of: "=") else { return }
        let name = String(pair[..<equals].trimmingWhitespace())
        let value = String(pair[pair.index(after: equals)...].trimmingWhitespace())
        guard !name.isEmpty else { return }
        let host = url.origin.host.lowercased()
        var cookie = Cookie(
            name: name, value: value, domain: host, hostOnly: true, path: Self.defaultPath(url.path), expires: nil,
            secure: false, httpOnly: false, sameSite: nil, created: counter)
        var maxAge: Double? = nil
        var expires: Double? = nil
        for attribute in parts.dropFirst() {
            let field = attribute.trimmingWhitespace()
            let key = String(field.prefix { $0 != "=" }.trimmingWhitespace()).lowercased()
            let argument = field.contains("=") ? String(field.drop { $0 != "=" }.dropFirst().trimmingWhitespace()) : ""
            switch key {
            case "max-age":
                if let seconds = Int(argument) { maxAge = Double(seconds) }
            case "expires":
                if let date = Self.parseDate(argument) { expires = date }
            case "domain":
                var domain = argument.lowercased()
                if domain.hasPrefix(".") { domain.removeFirst() }
                guard !domain.isEmpty else { continue }
                // A response may only set cookies for its own host or a domain it is under.
                guard Self.domainMatches(host, domain) else { return }
                cookie.domain = domain
                cookie.hostOnly = false
            case "path":
                if argument.hasPrefix("/") { cookie.path = argument }
            case "secure":
                cookie.secure = true
            case "httponly":
                cookie.httpOnly = true
            case "samesite":
                cookie.sameSite = SameSite(rawValue: argument.lowercased())
            default:
                break
            }
        }
        // A Secure cookie comes only from a secure origin (loopback counts as one, as browsers treat it).
        if cookie.secure && url.origin.scheme != .https && !url.origin.isLoopback { return }
        if let maxAge {
            cookie.expires = now + maxAge
        } else if let expires {
            cookie.expires = expires
        }
        if let old = cookies.firstIndex(where: {
            $0.name == name && $0.domain == cookie.domain && $0.path == cookie.path
        }) {
            cookie.created = cookies[old].created
            cookies.remove(at: old)
        } else {
            counter += 1
        }
        if let expiry = cookie.expires, expiry <= now { return }
        cookies.append(cookie)
    }

    /// The `Cookie` header for a request to `url` at `now`, or nil with none to send. `site` is the host of the
    /// page the shopper is on (the scenario's target): `SameSite=Strict` cookies go only to it, `Lax` ones also with
    /// a GET elsewhere.
    public func header(for url: RequestURL, method: String = "GET", site: String? = nil, now: Double) -> String? {
        let matching = self.matching(url, method: method, site: site, now: now)
        return matching.isEmpty ? nil : matching.map { "\($0.name)=\($0.value)" }.joined(separator: "; ")
    }

    /// The cookies a request to `url` carries, in the order they are sent.
    public func matching(_ url: RequestURL, method: String = "GET", site: String? = nil, now: Double) -> [Cookie] {
        // Most requests of most shoppers: nothing to look at (the host's site is worth working out only for a
        // cookie).
        guard !cookies.isEmpty else { return [] }
        let host = url.origin.host.lowercased()
        let secureChannel = url.origin.scheme == .https || url.origin.isLoopback
        let crossSite = site.map { !Self.sameSite($0.lowercased(), host) } ?? false
        return
            cookies.filter { cookie in
                (cookie.hostOnly ? host == cookie.domain : Self.domainMatches(host, cookie.domain))
                    && Self.pathMatches(url.path, cookie.path) && (!cookie.secure || secureChannel)
                    && (cookie.expires.map { $0 > now } ?? true)
                    && !(crossSite && cookie.sameSite == .strict)
                    && !(crossSite && cookie.sameSite == .lax && method != "GET" && method != "HEAD")
            }
            .sorted { ($0.path.count, -$0.created) > ($1.path.count, -$1.created) }
    }

    /// A cookie's value by name, for any domain (the most recently set first).
    public func value(named name: String) -> String? {
        cookies.filter { $0.name == name }.max { $0.created < $1.created }?.value
    }

    /// RFC 6265 §5.1.3.
    static func domainMatches(_ host: String, _ domain: String) -> Bool {
        if host == domain { return true }
        guard host.hasSuffix("." + domain) else { return false }
        // Not for IP addresses.
        return !host.split(separator: ".").allSatisfy { Int($0) != nil } && !host.contains(":")
    }

    /// RFC 6265 §5.1.4.
    static func pathMatches(_ requestPath: String, _ cookiePath: String) -> Bool {
        if requestPath == cookiePath { return true }
        guard requestPath.hasPrefix(cookiePath) else { return false }
        return cookiePath.hasSuffix("/") || requestPath.dropFirst(cookiePath.count).hasPrefix("/")
    }

    /// The directory of the request's path (RFC 6265 §5.1.4).
    static func defaultPath(_ path: String) -> String {
        guard path.hasPrefix("/"), let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }

    /// Two hosts are the same site when their last two labels agree (IP addresses: when equal). Without the public
    /// suffix list this errs towards "same site" for `example.co.uk`'s subdomains.
    static func sameSite(_ a: String, _ b: String) -> Bool {
        func site(_ host: String) -> String {
            let labels = host.split(separator: ".")
            if labels.allSatisfy({ Int($0) != nil }) || host.contains(":") { return host }
            return labels.suffix(2).joined(separator: ".")
        }
        return site(a) == site(b)
    }

    /// The cookie-date algorithm of RFC 6265 §5.1.1 (lenient: `Wed, 21 Oct 2015 07:28:00 GMT` and its relatives).
    public static func parseDate(_ text: String) -> Double? {
        var time: (Int, Int, Int)? = nil
        var day: Int? = nil
        var month: Int? = nil
        var year: Int? = nil
        let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
        let tokens = text.split { character in
            !(character.isLetter || character.isNumber || character == ":")
        }
        for token in tokens {
            if time == nil {
                let fields = token.split(separator: ":", omittingEmptySubsequences: false)
                if fields.count == 3, fields.allSatisfy({ (1...2).contains($0.count) && Int($0) != nil }) {
                    time = (Int(fields[0])!, Int(fields[1])!, Int(fields[2])!)
                    continue
                }
            }
            if day == nil, (1...2).contains(token.count), let value = Int(token) {
                day = value
                continue
            }
            if month == nil, token.count >= 3, let index = months.firstIndex(of: token.prefix(3).lowercased()) {
                month = index + 1
                continue
            }
            if year == nil, (2...4).contains(token.count), let value = Int(token) {
                year = value
                continue
            }
        }
        guard let (hour, minute, second) = time, let day, let month, var year else { return nil }
        if (70...99).contains(year) { year += 1900 } else if (0...69).contains(year) { year += 2000 }
        guard (1...31).contains(day), year >= 1601, hour <= 23, minute <= 59, second <= 59 else { return nil }
        return Double(daysFromCivil(year: year, month: month, day: day)) * 86_400
            + Double(hour * 3600 + minute * 60 + second)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
