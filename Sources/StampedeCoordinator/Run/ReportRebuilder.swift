public import StampedeCore
import StampedeReport

/// Rebuilds a run's report from its directory alone (`stampede report RUN_DIR`).
public enum ReportRebuilder {
    public struct Rebuilt: Sendable {
        public var report: RunReport
        public var consoleReport: String
        /// Interval lines cut short (a crash mid-write), skipped.
        public var damagedLines: Int
    }

    public static func rebuild(_ directory: RunDirectory) throws -> Rebuilt {
        let contents = try directory.load()
        let plan = try contents.record.plan()
        var aggregator = RunAggregator(plan: plan, scenario: contents.record.scenario)
        for interval in contents.intervals where aggregator.problem(with: interval) == nil { aggregator.add(interval) }
        for fact in contents.facts { aggregator.apply(fact) }
        let report = aggregator.report(record: contents.record)
        let text = ConsoleReport.render(report)
        try directory.writeReport(try JSONReport.encode(report), text: text)
        return Rebuilt(report: report, consoleReport: text, damagedLines: contents.damaged)
    }
}
