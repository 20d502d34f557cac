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
    @Flag(
        help:
            "Leave out a line of intervals.jsonl or facts.jsonl that cannot be read (a disk fault), naming each, rather than refuse the run."
    )
    var skipUnreadable = false

    public init() {}

    public func run() async throws {
        try await failing("stampede report", Self.self) {
            let rebuilt: ReportRebuilder.Rebuilt
            do {
                let run = RunDirectory.open(directory)
                rebuilt =
                    try html
                    ? ReportRebuilder.fold(run, skippingUnreadable: skipUnreadable)
                    : ReportRebuilder.rebuild(run, skippingUnreadable: skipUnreadable)
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
            for line in rebuilt.unreadable {
                print("note: left out \(line): what it held is missing from the report")
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
