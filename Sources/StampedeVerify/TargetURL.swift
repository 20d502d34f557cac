public import StampedeCore

/// A URL from a scenario: a path on the target, or an absolute `http://` URL elsewhere.
public enum TargetURL {
    public static func resolve(_ url: String, target: Origin) -> (origin: Origin, path: String)? {
        if url.hasPrefix("/") { return (target, url) }
        guard let origin = Origin(url: url) else { return nil }
        let path = url.dropFirst(url.hasPrefix("https://") ? 8 : 7).drop { $0 != "/" }
        return (origin, path.isEmpty ? "/" : String(path))
    }

    /// An endpoint under a base URL's path: `http://gateway:9000/alipay` and `/admin/reset` give
    /// `/alipay/admin/reset` (a simulator behind an adapter that routes by prefix), `http://127.0.0.1:9001` gives
    /// `/admin/reset`.
    public static func resolve(
        _ endpoint: String, under base: String, target: Origin
    ) -> (origin: Origin, path: String)? {
        guard let (origin, path) = resolve(base, target: target) else { return nil }
        var prefix = path.prefix { $0 != "?" && $0 != "#" }
        while prefix.hasSuffix("/") { prefix = prefix.dropLast() }
        return (origin, prefix + endpoint)
    }
}
