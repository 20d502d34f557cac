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
        let (record, intervals, damaged) = try directory.load()
        let plan = try record.plan()
        var aggregator = RunAggregator(plan: plan, scenario: record.scenario)
        for interval in intervals where aggregator.problem(with: interval) == nil { aggregator.add(interval) }
        let seconds = Double(aggregator.lastSecond + 1)
        // A run whose intervals stop well before the plan's end did not finish (stopped, or its coordinator died).
        let interrupted = seconds + 1 < plan.duration
        let report = aggregator.report(info: record.info(plan: plan, actualSeconds: seconds, interrupted: interrupted))
        let text = ConsoleReport.render(report)
        try directory.writeReport(try JSONReport.encode(report), text: text)
        return Rebuilt(report: report, consoleReport: text, damagedLines: damaged)
    }
}
