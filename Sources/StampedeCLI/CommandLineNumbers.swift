import ArgumentParser
import StampedeConfig
import StampedeCore

/// Numbers on the command line whose range nothing below checks: NIO keeps a port's low 16 bits (`--port 70000`
/// listened on 4464 without a word) and traps on an event-loop group of no threads, or on a timer beyond 292 years
/// (`--timeout 99999999h`); `--max-shoppers`, `--connections` and `--streams` of 9e18 trapped too.
enum CommandLineNumbers {
    /// The longest duration an option takes: a week, as long as a run may last.
    static let longest = Plan.durations.upperBound
    /// Shoppers going at once, connections and HTTP/2 streams per connection, per worker.
    static let shoppers = 1...10_000_000
    static let connections = 1...1_000_000
    static let streams = 1...100_000

    /// Event-loop threads one process may run.
    static let threads = 1...256

    /// A TCP port to listen on, for `@Option(transform:)`: 0 (a free one) to 65535.
    static func port(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65_535).contains(port) else {
            throw ValidationError("expected a port from 0 (a free one) to 65535")
        }
        return port
    }

    /// A duration option's seconds (`Units.seconds`): above 0, or 0 too when `zero` says what 0 does.
    static func seconds(_ text: String, option: String, example: String, zero: String? = nil) throws -> Double {
        guard let seconds = Units.seconds(text), seconds > 0 || zero != nil, seconds <= longest else {
            let expected =
                zero.map { "a duration such as \(example), or 0 \($0)" } ?? "a duration above 0 such as \(example)"
            throw ValidationError("\(option): expected \(expected), at most 7d, found \"\(text)\"")
        }
        return seconds
    }

    /// Workers one `stampede run` (or a search) starts on this machine.
    static let localWorkers = 1...64

    /// A count option within its range.
    static func check(_ value: Int, _ range: ClosedRange<Int>, option: String) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option): expected \(range.lowerBound) to \(range.upperBound), found \(value)")
        }
    }

    /// A count option with only a least value.
    static func check(_ value: Int, atLeast least: Int, option: String) throws {
        guard value >= least else { throw ValidationError("\(option): expected \(least) or more, found \(value)") }
    }

    /// A seed, for `@Option(transform:)`: ArgumentParser said only "The value '-1' is invalid".
    static func seed(_ text: String) throws -> UInt64 {
        guard let seed = UInt64(text) else {
            throw ValidationError("expected a whole number from 0 to \(UInt64.max)")
        }
        return seed
    }

    /// A rate option's arrivals per second (`Units.ratePerSecond`), above 0 and at most what a plan may ask for.
    static func rate(_ text: String, option: String, example: String) throws -> Double {
        guard let rate = Units.ratePerSecond(text), rate <= Plan.maxPeakRate else {
            throw ValidationError(
                "\(option): expected a rate above 0 such as \(example), at most 10000000000/s, found \"\(text)\"")
        }
        return rate
    }

}
