public import ArgumentParser
import Foundation
import StampedeConfig
import StampedeCoordinator
import StampedeCore
import StampedeReport

/// `stampede compare BASE NEW`: two run directories side by side; exits 1 on a regression.
public struct CompareCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare a run with a baseline run: a regression is worse than the tolerance and the noise.",
        discussion: """
            Per step p50/p90/p99/p99.9 (corrected latency), error and 429 rates, arrivals of plan, the verdicts, and \
            a drill's failover (a regression when it no longer happens). \
            A figure regresses when it is worse by more than --tolerance, by more than --min-latency-change (or \
            --min-rate-change) and by more than the noise between the runs, measured from their per-second figures \
            (a bootstrap over seconds). Exit 0: no regression; 1: a regression; 3: nothing about the target could \
            be judged (every step too short or in one run only, and no verdict); 64: a run directory is wrong.
            """)

    @Argument(help: "The baseline run directory.") var base: String
    @Argument(help: "The run directory to judge.") var new: String
    @Option(help: "The relative change allowed (10%).") var tolerance = "10%"
    @Option(help: "Latency changes below this never regress (1ms).") var minLatencyChange = "1ms"
    @Option(help: "Rate changes below this never regress (0.1%).") var minRateChange = "0.1%"
    @Option(help: "Also write the comparison as JSON to this file.") var json: String?
    @Option(help: "Also write the Markdown to this file.") var markdown: String?

    public init() {}

    public func run() async throws {
        try await failing("stampede compare", Self.self) { try await work() }
    }

    public func validate() throws {
        _ = try settings()
        try OutputFile.check(json, option: "--json")
        try OutputFile.check(markdown, option: "--markdown")
    }

    /// What counts as a change, checked while the command line is parsed.
    private func settings() throws -> RunComparison.Settings {
        guard let tolerance = Self.fraction(tolerance), tolerance >= 0 else {
            throw ValidationError("--tolerance: expected a percentage such as 10%, found \"\(self.tolerance)\"")
        }
        let latency = try CommandLineNumbers.seconds(
            minLatencyChange, option: "--min-latency-change", example: "1ms", zero: "to count any change")
        guard let rate = Self.fraction(minRateChange), rate >= 0 else {
            throw ValidationError(
                "--min-rate-change: expected a percentage such as 0.1%, found \"\(minRateChange)\"")
        }
        return RunComparison.Settings(tolerance: tolerance, minLatencyChange: latency * 1000, minRateChange: rate)
    }

    private func work() async throws {
        let comparison = RunComparison.compare(
            try Self.series(base), try Self.series(new), settings: try settings())
        let text = ComparisonSummary.render(comparison)
        print(text, terminator: "")
        if let markdown { try OutputFile.write(text, to: markdown, option: "--markdown") }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try OutputFile.write(try encoder.encode(comparison), to: json, option: "--json")
        }
        if !comparison.regressions.isEmpty { throw ExitCode(ExitStatus.thresholdFailed.rawValue) }
        if comparison.judgedNothing {
            throw CommandFailure(.verdictUnverified, "nothing could be judged: " + ComparisonSummary.why(comparison))
        }
    }

    /// A run directory's per-second figures and its report (rebuilt, so that it is judged by this version).
    static func series(_ path: String) throws -> RunComparison.Series {
        let directory = RunDirectory.open(path)
        do {
            let contents = try directory.load()
            let report = try ReportRebuilder.rebuild(directory, write: false).report
            return RunComparison.Series(
                id: contents.record.id, intervals: contents.intervals, scenario: contents.record.scenario,
                report: report)
        } catch let error as RunDirectoryError {
            throw CommandFailure(.usage, error.message)
        }
    }

    /// "10%" or "0.1".
    static func fraction(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("%") { return Double(trimmed.dropLast()).map { $0 / 100 } }
        return Double(trimmed)
    }
}
