import ArgumentParser
import Foundation
import StampedeCore

/// The shared secret between coordinator and workers: from a file or the environment, never the command line (it
/// would show in `ps` and shell history) and never in logs.
enum Token {
    static let environmentVariable = "STAMPEDE_TOKEN"

    static func read(file: String?) throws -> String {
        if let file {
            guard let data = FileManager.default.contents(atPath: file),
                let text = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
                !text.isEmpty
            else { throw ValidationError("--token-file: cannot read a token from \(file)") }
            return text
        }
        if let value = ProcessInfo.processInfo.environment[environmentVariable], !value.isEmpty { return value }
        throw ValidationError("no token: give --token-file FILE or set \(environmentVariable)")
    }

    /// A fresh random token for a run on one machine.
    static func random() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next(), radix: 16) }.joined()
    }
}

/// "host:port" on the command line.
struct Endpoint: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var host: String
    var port: Int

    /// `host:port` with a DNS name, an IPv4 address, or an IPv6 address in brackets (`[::1]:7070`).
    init?(argument: String) {
        guard let parsed = HostPort(argument) else { return nil }
        host = parsed.host
        port = parsed.port
    }

    var description: String { HostPort(host: host, port: port).description }
}
