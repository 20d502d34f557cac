public import StampedeCore
import StampedeReport

/// Receives a run's interval reports from its workers: checks them, merges them, writes each to the run
/// directory as it arrives, and shows progress. At the end it renders the report.
public actor RunSession {
    public let record: RunRecord
    public let plan: Plan
    public nonisolated let directory: RunDirectory?
    private var aggregator: RunAggregator
    private let progress: @Sendable (String) -> Void
    /// Told of every interval merged (the coordinator's metrics).
    private var observer: (@Sendable (IntervalReport, Progress) -> Void)?
    private var rejected = 0
    /// Intervals received per second, and the last second shown, so that one line a second is printed once every
    /// worker has reported it.
    private var perSecond: [Int: Int] = [:]
    private var shownSecond = -1
    private var reporters = 1
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
        observer?(interval, aggregator.progress(second: interval.second))
        perSecond[interval.second, default: 0] += 1
        // Show every earlier second not shown yet (a lost worker never completes it), then this one when complete.
        while shownSecond + 1 < interval.second {
            shownSecond += 1
            progress(ProgressLine.render(aggregator.progress(second: shownSecond)))
        }
        if interval.second == shownSecond + 1 && perSecond[interval.second, default: 0] >= reporters {
            shownSecond += 1
            progress(ProgressLine.render(aggregator.progress(second: shownSecond)))
        }
    }

    /// How many workers report each second (the progress line waits for all of them).
    public func setReporters(_ count: Int) {
        reporters = max(1, count)
    }

    public func observe(_ observer: @escaping @Sendable (IntervalReport, Progress) -> Void) {
        self.observer = observer
    }

    public func setStatus(_ status: WorkerSummary.Status, of worker: String) {
        aggregator.setStatus(status, of: worker)
    }

    public func setDrill(_ record: DrillRecord) {
        aggregator.setDrill(record)
    }

    public func setGroundTruth(_ record: GroundTruthRecord) {
        aggregator.setGroundTruth(record)
    }

    public func markLost(_ gap: GapSummary) {
        aggregator.markLost(gap)
    }

    /// The report of everything received so far.
    public func report(actualSeconds: Double, interrupted: Bool, startNanos: Int64? = nil) -> RunReport {
        aggregator.report(info: record.info(
            plan: plan, actualSeconds: actualSeconds, interrupted: interrupted, startNanos: startNanos))
    }

    public var refusedIntervals: Int { rejected }

    /// Writes each step's percentile distributions (`histograms/<flow>.<step>.corrected.hgrm`, `….uncorrected.hgrm`).
    public func writeDistributions() throws {
        try directory?.writeDistributions(aggregator.stepHistograms())
    }
}
