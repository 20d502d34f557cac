public import ArgumentParser
import StampedeCoordinator
import StampedeCore

public struct ReportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild a run's report from its run directory, and judge it as the run was (the same exit codes).",
        discussion: ExitStatus.table)

    @Argument(help: "A run directory (runs/…).") var directory: String

    public init() {}

    public func run() async throws {
        try await failing("stampede report") {
            let rebuilt: ReportRebuilder.Rebuilt
            do {
                rebuilt = try ReportRebuilder.rebuild(RunDirectory.open(directory))
            } catch let error as RunDirectoryError {
                throw CommandFailure(.usage, error.message)
            }
            if rebuilt.damagedLines > 0 {
                print("note: skipped \(rebuilt.damagedLines) line(s) cut short at the end of the run's logs")
            }
            print(rebuilt.consoleReport, terminator: "")
            print("\nWrote report.json, report.txt, junit.xml and summary.md in \(directory)")
            Verdict.print(rebuilt.judgement)
            if rebuilt.judgement.status != .ok { throw ExitCode(rebuilt.judgement.status.rawValue) }
        }
    }
}
