import ArgumentParser
import StampedeCoordinator
import StampedeCore
import StampedeProcess

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
    /// A verdict failed: oversold, phantom, leaked, double or orphan charges, uncharged orders.
    case verdictFailed = 2
    /// A verdict a threshold needs could not be checked (unverified).
    case verdictUnverified = 3
    /// The run did not complete: interrupted, the registration deadline passed, workers lost beyond the limit, the
    /// target could not be set up or answered no request.
    case incomplete = 4
    /// The command line or a configuration file is wrong.
    case usage = 64
    /// Stampede itself failed: an internal error, or its run directory cannot be written.
    case internalError = 70

    var meaning: String {
        switch self {
        case .ok: "every threshold and verdict holds"
        case .thresholdFailed: "a threshold failed"
        case .verdictFailed: "a verdict failed (oversold, phantom, leaked, double/orphan/uncharged)"
        case .verdictUnverified: "a verdict could not be checked (UNVERIFIED) while a threshold needs it"
        case .incomplete: "the run did not complete: interrupted, workers missing/lost, target down"
        case .usage: "usage or configuration error"
        case .internalError: "internal error (or the run directory cannot be written)"
        }
    }

    /// The table, for `--help` (each line short enough not to be wrapped).
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
/// an argument mistake found only now (`ValidationError`, e.g. a target that is not on loopback once the scenario
/// names it) is printed as ArgumentParser prints one found while parsing: with this command's usage, exit 64.
/// ArgumentParser alone printed the usage of `stampede`, not of the command.
func failing<Result>(
    _ command: String, _ type: any ParsableCommand.Type, _ body: () async throws -> Result
) async throws -> Result {
    do {
        return try await body()
    } catch let failure as CommandFailure {
        printError("\(command): \(failure.message)")
        throw ExitCode(failure.status.rawValue)
    } catch let taken as ListeningPort.Unavailable {
        printError("\(command): \(taken)")
        throw ExitCode(ExitStatus.usage.rawValue)
    } catch let notStarted as RunNotStarted {
        printError("\(command): the run did not start: \(notStarted.message)")
        throw ExitCode(ExitStatus.incomplete.rawValue)
    } catch let mistake as ValidationError {
        printError("Error: \(mistake.message)")
        printError("Usage: \(StampedeCommand.usageString(for: type))")
        printError("  See '\(command) --help' for more information.")
        throw ExitCode(ExitStatus.usage.rawValue)
    } catch let error where FileErrorReason.ofFile(error) != nil {
        // A file Stampede itself could not read or write, said as the system says it (with its path), not as
        // `Error Domain=NSCocoaErrorDomain Code=… UserInfo={…}`.
        printError("\(command): \(FileErrorReason.ofFile(error) ?? "")")
        throw ExitCode(ExitStatus.internalError.rawValue)
    } catch let error where !(error is ExitCode || error is CleanExit) {
        printError("\(command): \(error)")
        throw ExitCode(ExitStatus.internalError.rawValue)
    }
}

/// A line on standard error.
func printError(_ line: String) {
    fputs(line + "\n", stderr)
}

/// How a run was judged, for the console: one line per finding on standard error, then what the exit code means.
enum Verdict {
    static func print(_ judgement: RunJudgement) {
        guard judgement.status != .ok else { return }
        for reason in judgement.reasons { printError("  - \(reason)") }
        let status = ExitStatus(rawValue: judgement.status.rawValue) ?? .internalError
        printError("exit \(status.rawValue): \(status.meaning)")
    }
}
