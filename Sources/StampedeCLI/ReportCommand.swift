public import ArgumentParser
import StampedeCoordinator

public struct ReportCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Rebuild a run's report from its run directory.")

    @Argument(help: "A run directory (runs/…).") var directory: String

    public init() {}

    public func run() throws {
        let rebuilt = try ReportRebuilder.rebuild(RunDirectory.open(directory))
        if rebuilt.damagedLines > 0 {
            print("note: skipped \(rebuilt.damagedLines) interval line cut short at the end of intervals.jsonl")
        }
        print(rebuilt.consoleReport, terminator: "")
        print("\nWrote \(RunDirectory.open(directory).file(RunDirectory.reportFile))")
    }
}
