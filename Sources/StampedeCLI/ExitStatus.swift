import ArgumentParser

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// How every command ends, as its exit code. One table, in `--help` and in docs/exit-codes.md.
enum ExitStatus: Int32, CaseIterable {
    /// Every threshold and verdict holds.
    case ok = 0
    /// A threshold failed.
    case thresholdFailed = 1
    /// A verdict failed: oversold, phantom, leaked, double or orphan charges.
    case verdictFailed = 2
    /// A verdict a threshold needs could not be checked (unverified).
    case verdictUnverified = 3
    /// The run did not complete: interrupted, the registration deadline passed, workers lost beyond the limit, the
    /// target could not be reached at all.
    case incomplete = 4
    /// The command line or a configuration file is wrong.
    case usage = 64
    /// Stampede itself failed.
    case internalError = 70

    var meaning: String {
        switch self {
        case .ok: "every threshold and verdict holds"
        case .thresholdFailed: "a threshold failed"
        case .verdictFailed: "a verdict failed (oversold, phantom, leaked, double or orphan charges)"
        case .verdictUnverified: "a verdict could not be checked (UNVERIFIED) while a threshold needs it"
        case .incomplete:
            "the run did not complete (interrupted, registration deadline, lost workers, target unreachable)"
        case .usage: "usage or configuration error"
        case .internalError: "internal error"
        }
    }

    /// The table, for `--help`.
    static var table: String {
        "Exit codes:\n"
            + allCases.map { status in
                let code = String(status.rawValue)
                return "  " + code + String(repeating: " ", count: max(1, 4 - code.count)) + status.meaning
            }.joined(separator: "\n")
    }
}

/// A command that could not do its work, for a reason that is not a mistake in its arguments: one line is
/// printed (never the usage), and the process exits with the status.
struct CommandFailure: Error, CustomStringConvertible {
    var status: ExitStatus
    var message: String

    init(_ status: ExitStatus, _ message: String) {
        self.status = status
        self.message = message
    }

    var description: String { message }
}

/// Runs a command's work: a ``CommandFailure`` is printed as one line on standard error and becomes its exit code;
/// argument mistakes (`ValidationError`) are left to ArgumentParser, which prints the usage with them.
func failing<Result>(
    _ command: String, _ body: () async throws -> Result
) async throws -> Result {
    do {
        return try await body()
    } catch let failure as CommandFailure {
        printError("\(command): \(failure.message)")
        throw ExitCode(failure.status.rawValue)
    } catch let error where !(error is ValidationError || error is ExitCode || error is CleanExit) {
        printError("\(command): \(error)")
        throw ExitCode(ExitStatus.internalError.rawValue)
    }
}

/// A line on standard error.
func printError(_ line: String) {
    fputs(line + "\n", stderr)
}
