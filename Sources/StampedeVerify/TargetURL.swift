public import StampedeCore

/// A URL from a scenario: a path on the target, or an absolute `http://` URL elsewhere.
public enum TargetURL {
    public static func resolve(_ url: String, target: Origin) -> (origin: Origin, path: String)? {
        if url.hasPrefix("/") { return (target, url) }
        guard let origin = Origin(url: url) else { return nil }
        let path = url.dropFirst(url.hasPrefix("https://") ? 8 : 7).drop { $0 != "/" }
        return (origin, path.isEmpty ? "/" : String(path))
    }
}
