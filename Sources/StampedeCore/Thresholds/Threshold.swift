/// A pass/fail criterion on a run's figures, as written in a scenario's `thresholds:` or on the command line:
/// `p99(buyer/order) < 300ms`, `error_rate(all) < 1%`, `arrivals >= 99% of plan`, `oversold == 0`,
/// `failover_time < 2s`. See ``ThresholdParser`` for the grammar.
public struct Threshold: Codable, Sendable, Equatable, CustomStringConvertible {
    /// The text as written.
    public var source: String
    /// The check alone, without its `abort` clause: how reports and stop reasons name the threshold.
    public var check: String
    public var metric: Metric
    public var comparison: Comparison
    /// In the metric's unit: milliseconds for latency, seconds for failover time, a fraction for rates and for
    /// arrivals (of the plan), a count otherwise.
    public var bound: Double
    /// Stop every worker when this threshold breaks during the run (a safety valve as much as a gate).
    public var abortOnFail: Bool
    /// How long it must stay broken before the run is stopped (seconds): a blip does not stop a run.
    public var delay: Double

    public init(
        source: String, check: String? = nil, metric: Metric, comparison: Comparison, bound: Double,
        abortOnFail: Bool = false, delay: Double = 0
    ) {
        self.source = source
        self.check = check ?? source
        self.metric = metric
        self.comparison = comparison
        self.bound = bound
        self.abortOnFail = abortOnFail
        self.delay = delay
    }

    public var description: String { check }

    public typealias Comparison = StampedeCore.Comparison

    /// Which requests a figure is about.
    public enum Selector: Codable, Sendable, Equatable, CustomStringConvertible {
        case all
        case flow(String)
        case step(flow: String, step: String)

        public var description: String {
            switch self {
            case .all: "all"
            case .flow(let flow): flow
            case .step(let flow, let step): "\(flow)/\(step)"
            }
        }
    }

    /// Over which part of the run.
    public enum Scope: Codable, Sendable, Equatable {
        case run
        /// An hour of an hourly profile ("10:00") or a stage, by its label.
        case period(String)
        /// A burst (flash sale), by its label.
        case burst(String)
    }

    public enum LatencyStatistic: Codable, Sendable, Equatable {
        case percentile(Double)
        case max
        case mean
    }

    public enum Metric: Codable, Sendable, Equatable {
        /// Milliseconds; corrected (from the intended start) unless `uncorrected`.
        case latency(LatencyStatistic, uncorrected: Bool, Selector, Scope)
        /// Failed requests of all requests.
        case errorRate(Selector, Scope)
        /// Requests answered 429, or failed with an error label (`5xx`, `4xx`, `timeout`, …), of all requests.
        case rate(String, Selector, Scope)
        /// Arrivals dropped at the concurrency cap.
        case dropped(Scope)
        /// Arrivals started, as a fraction of the plan's expected arrivals.
        case arrivals
        /// Summed over every SKU's verdict.
        case oversold
        case phantom
        case leaked
        /// From the payment drill's verdict.
        case doubleCharges
        case orphanCharges
        case unchargedOrders
        /// Seconds from the fault's start to the first payment through another channel.
        case failoverTime

        /// True for figures only the verdicts (read after the run) know.
        public var needsVerdict: Bool {
            switch self {
            case .oversold, .phantom, .leaked, .doubleCharges, .orphanCharges, .unchargedOrders, .failoverTime: true
            default: false
            }
        }
    }
}

/// How a threshold came out.
public struct ThresholdResult: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        case passed
        case failed
        /// The figure could not be known (the verdict it needs is unverified).
        case unverified
    }

    public var threshold: String
    public var outcome: Outcome
    /// The figure, in the metric's unit; nil when unknown.
    public var observed: Double?
    /// "312 ms", "1.2%", "0", "never".
    public var observedText: String
    /// "< 300 ms".
    public var boundText: String
    /// Why it failed or could not be checked.
    public var reason: String?
    /// When it broke and stopped the run (run seconds), for an abort_on_fail threshold.
    public var abortedAt: Double?

    public init(
        threshold: String, outcome: Outcome, observed: Double?, observedText: String, boundText: String,
        reason: String? = nil, abortedAt: Double? = nil
    ) {
        self.threshold = threshold
        self.outcome = outcome
        self.observed = observed
        self.observedText = observedText
        self.boundText = boundText
        self.reason = reason
        self.abortedAt = abortedAt
    }
}
