import StampedeCore

/// A place in a configuration file that says where requests go: a URL, or the environment variable that holds a
/// database's URL. Collected as a file is read, so the guard can name the file, line and column of each.
public struct ConfigAddress: Sendable, Equatable {
    public enum Value: Sendable, Equatable {
        /// An absolute URL, or a path on the target.
        case url(String)
        /// The name of an environment variable holding a `postgres://` URL.
        case environment(String)
    }

    public var value: Value
    public var file: String
    public var line: Int
    public var column: Int
    public var path: String

    public func problem(_ message: String) -> ConfigProblem {
        ConfigProblem(file: file, line: line, column: column, path: path, message: message)
    }
}

/// Load only ever goes to loopback unless the user says otherwise: every address a run sends to — the target, the
/// books (over HTTP, or the database), the drill's channels and the target's lists — is checked the same way.
public enum AddressGuard {
    /// Every address that is not on loopback (127.0.0.0/8, ::1, localhost) when remote targets are not allowed.
    public static func problems(
        _ addresses: [ConfigAddress], allowRemote: Bool, environment: [String: String]
    ) -> [ConfigProblem] {
        guard !allowRemote else { return [] }
        return addresses.compactMap { address in
            switch address.value {
            case .url(let url):
                // A path goes to the target, which is checked on its own.
                guard !url.hasPrefix("/"), let origin = Origin(url: url), !origin.isLoopback else { return nil }
                return address.problem(
                    "\(origin.host) is not on loopback; requests go elsewhere only with --allow-remote")
            case .environment(let name):
                guard let text = environment[name], let url = DatabaseURL(text),
                    !Origin(scheme: .http, host: url.host, port: url.port).isLoopback
                else { return nil }
                return address.problem(
                    "\(name) names the database host \(url.host), which is not on loopback; the books are read "
                        + "elsewhere only with --allow-remote")
            }
        }
    }
}
