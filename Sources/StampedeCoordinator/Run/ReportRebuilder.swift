public import StampedeCore
import StampedeReport

/// Rebuilds a run's report from its directory alone (`stampede report RUN_DIR`): the same intervals and facts
/// folded the same way as during the run, judged the same way.
public enum ReportRebuilder {
    public struct Rebuilt: Sendable {
        public var report: RunReport
        public var judgement: RunJudgement
        public var series: RunSeries
        public var consoleReport: String
        /// Lines cut short (a crash mid-write), skipped.
        public var damagedLines: Int
        /// Other lines that could not be read, left out when asked (`file:line: why`).
        public var unreadable: [String] = []
    }

    /// `write` puts the rebuilt reports into the directory (`stampede report`); a comparison only reads.
    public static func rebuild(
        _ directory: RunDirectory, write: Bool = true, skippingUnreadable: Bool = false
    ) throws -> Rebuilt {
        let rebuilt = try fold(directory, skippingUnreadable: skippingUnreadable)
        if write { try directory.writeReports(rebuilt.report, series: rebuilt.series, judgement: rebuilt.judgement) }
        return rebuilt
    }

    /// The directory's intervals and facts folded, nothing written.
    public static func fold(_ directory: RunDirectory, skippingUnreadable: Bool = false) throws -> Rebuilt {
        let contents = try directory.load(skippingUnreadable: skippingUnreadable)
        let plan = try contents.record.plan()
        var aggregator = RunAggregator(plan: plan, scenario: contents.record.scenario)
        for interval in contents.intervals where aggregator.problem(with: interval) == nil { aggregator.add(interval) }
        for fact in contents.facts { aggregator.apply(fact) }
        let report = aggregator.report(record: contents.record)
        let judgement = RunJudgement.of(report, gate: contents.record.gate ?? GateSettings())
        return Rebuilt(
            report: report, judgement: judgement, series: aggregator.series(),
            consoleReport: ConsoleReport.render(report),
            damagedLines: contents.damaged, unreadable: contents.unreadable)
    }
}
