public import StampedeCore
import StampedeReport

/// Receives a run's interval reports from its workers: checks them, merges them, writes each to the run
/// directory as it arrives, and shows progress. At the end it renders the report.
public actor RunSession {
    public let record: RunRecord
    public let plan: Plan
    public let directory: RunDirectory?
    private var aggregator: RunAggregator
    private let progress: @Sendable (String) -> Void
    private var rejected = 0
    private var writeFailure: (any Error)?

    public init(record: RunRecord, plan: Plan, directory: RunDirectory?, progress: @escaping @Sendable (String) -> Void) {
        self.record = record
        self.plan = plan
        self.directory = directory
        self.aggregator = RunAggregator(plan: plan, scenario: record.scenario)
        self.progress = progress
    }

    /// Takes one interval report. A report that does not fit the plan is refused and counted.
    public func receive(_ interval: IntervalReport) {
        if let problem = interval.problem(slotCount: plan.slots.count, maxSecond: Int(plan.duration) + 3_600) {
            rejected += 1
            progress("refused an interval report from \(interval.worker): \(problem)")
            return
        }
        do {
            try directory?.append(interval)
        } catch {
            if writeFailure == nil { progress("cannot write to the run directory: \(error); the run goes on") }
            writeFailure = error
        }
        aggregator.add(interval)
        progress(ProgressLine.render(aggregator.progress(second: interval.second)))
    }

    /// The report of everything received so far.
    public func report(actualSeconds: Double, interrupted: Bool) -> RunReport {
        aggregator.report(info: record.info(plan: plan, actualSeconds: actualSeconds, interrupted: interrupted))
    }

    public var refusedIntervals: Int { rejected }
}
