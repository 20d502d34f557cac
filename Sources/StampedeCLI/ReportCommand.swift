public import ArgumentParser
import Foundation
import StampedeCoordinator
import StampedeCore

public struct ReportCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Rebuild a run's report from its run directory, and judge it as the run was (the same exit codes).",
        discussion: ExitStatus.table)

    @Argument(help: "A run directory (runs/…).") var directory: String

    @Flag(help: "Write only report.html (the charts), leaving the other reports as they are.") var html = false

    public init() {}

    public func run() async throws {
        try await failing("stampede report", Self.self) {
            let rebuilt: ReportRebuilder.Rebuilt
            do {
                let run = RunDirectory.open(directory)
                rebuilt = try html ? ReportRebuilder.fold(run) : ReportRebuilder.rebuild(run)
                if html { try run.writeHTML(rebuilt.report, series: rebuilt.series, judgement: rebuilt.judgement) }
            } catch let error as RunDirectoryError {
                throw CommandFailure(.usage, error.message)
            } catch let error as CocoaError {
                // Writing the rebuilt reports: a full disk said Foundation's `Error Domain=NSCocoaErrorDomain
                // Code=640 … UserInfo={…}`.
                throw CommandFailure(
                    .internalError, "cannot write the reports into \(directory): \(FileErrorReason.of(error))")
            }
            if rebuilt.damagedLines > 0 {
                print("note: skipped \(rebuilt.damagedLines) line(s) cut short at the end of the run's logs")
            }
            if html {
                print("Wrote \(RunDirectory.open(directory).file(RunDirectory.htmlFile))")
            } else {
                print(rebuilt.consoleReport, terminator: "")
                print("\nWrote report.json, report.txt, junit.xml, summary.md and report.html in \(directory)")
            }
            Verdict.print(rebuilt.judgement)
            if rebuilt.judgement.status != .ok { throw ExitCode(rebuilt.judgement.status.rawValue) }
        }
    }
}
