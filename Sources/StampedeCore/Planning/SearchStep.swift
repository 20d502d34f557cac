/// One step of a capacity search, read from its report: the rate asked for, what the target did in the part that
/// is judged (the `hold` stage, after an unjudged `settle`), what the generator managed, and the verdict.
public struct SearchStep: Codable, Sendable, Equatable {
    public var rate: Double
    public var verdict: CapacitySearch.Verdict
    /// Arrivals started per second in the hold stage, and the share of the planned ones.
    public var achievedRate: Double
    public var startedShare: Double
    public var dropped: Int
    /// Corrected latency in the hold stage, milliseconds.
    public var p50: Double
    public var p99: Double
    public var errorRate: Double
    public var throttledRate: Double
    /// The run directory of the step.
    public var directory: String?

    /// The stage the search judges; the one before it settles the target and is not judged.
    public static let holdStage = "hold"
    public static let settleStage = "settle"
    /// A step that started fewer of its planned arrivals than this was bound by the generator.
    public static let generatorShare = 0.97

    /// Judges a step: generator-bound first (then no verdict on the target is possible), then the judgement of
    /// the run (thresholds, verdicts, a run that did not complete), else held.
    public init(
        rate: Double, report: RunReport, judgement: RunJudgement, settleSeconds: Double, holdSeconds: Double,
        directory: String?
    ) {
        self.rate = rate
        self.directory = directory
        let hold = report.periods.first { $0.label == Self.holdStage }
        let shoppers = hold?.shoppers ?? report.totals.shoppers
        let requests = hold?.requests ?? report.totals.requests
        let latency = hold?.corrected ?? report.totals.corrected
        // A step a threshold stopped was held for less than its hold.
        let stopped = report.thresholds?.compactMap(\.abortedAt).min()
        let judged = stopped.map { min(holdSeconds, max(0.001, $0 - settleSeconds)) } ?? holdSeconds
        achievedRate = judged > 0 ? Double(shoppers.started) / judged : 0
        startedShare = shoppers.planned > 0 ? Double(shoppers.started) / Double(shoppers.planned) : 1
        dropped = shoppers.dropped
        p50 = latency.p50
        p99 = latency.p99
        errorRate = requests.requests > 0 ? Double(requests.failed) / Double(requests.requests) : 0
        throttledRate = requests.requests > 0 ? Double(requests.throttled) / Double(requests.requests) : 0
        let aborted = report.thresholds?.contains { $0.abortedAt != nil } ?? false
        if !aborted && (dropped > 0 || startedShare < Self.generatorShare) {
            let percent = (startedShare * 1000).rounded() / 10
            verdict = .generatorBound(
                "the generator started \(percent)% of the planned arrivals (\(dropped) dropped at the cap)")
        } else if judgement.status != .ok {
            verdict = .broke(judgement.reasons.first ?? "the run failed")
        } else {
            verdict = .held
        }
    }
}

extension Threshold {
    /// The same check over `scope` where it was over the whole run (a search judges only its hold stage).
    public func scoped(to scope: Scope) -> Threshold {
        var copy = self
        switch metric {
        case .latency(let statistic, let uncorrected, let selector, .run):
            copy.metric = .latency(statistic, uncorrected: uncorrected, selector, scope)
        case .errorRate(let selector, .run): copy.metric = .errorRate(selector, scope)
        case .rate(let label, let selector, .run): copy.metric = .rate(label, selector, scope)
        case .dropped(.run): copy.metric = .dropped(scope)
        default: break
        }
        return copy
    }
}
