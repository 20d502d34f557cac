import ArgumentParser

/// Numbers on the command line whose range nothing below checks: NIO keeps a port's low 16 bits (`--port 70000`
/// listened on 4464 without a word) and traps on an event-loop group of no threads.
enum CommandLineNumbers {
    /// Event-loop threads one process may run.
    static let threads = 1...256

    /// A TCP port to listen on, for `@Option(transform:)`: 0 (a free one) to 65535.
    static func port(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65_535).contains(port) else {
            throw ValidationError("expected a port from 0 (a free one) to 65535")
        }
        return port
    }

    static func checkThreads(_ threads: Int) throws {
        guard Self.threads.contains(threads) else {
            throw ValidationError(
                "--threads: expected \(Self.threads.lowerBound) to \(Self.threads.upperBound), found \(threads)")
        }
    }
}
