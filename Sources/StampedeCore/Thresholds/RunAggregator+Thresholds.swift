/// Thresholds evaluated on the merged figures: the exactly merged histograms and counts of every worker, never
/// per-worker figures averaged. During the run (for `abort`) on what has arrived so far; at the end with the
/// verdicts too.
extension RunAggregator {
    /// The verdicts a threshold may need; nil during the run.
    public struct Verdicts: Sendable {
        public var inventory: [InventoryVerdict]
        public var payments: PaymentVerdict?

        public init(inventory: [InventoryVerdict], payments: PaymentVerdict?) {
            self.inventory = inventory
            self.payments = payments
        }
    }

    public func evaluate(_ thresholds: [Threshold], verdicts: Verdicts?) -> [ThresholdResult] {
        thresholds.map { evaluate($0, verdicts: verdicts) }
    }

    public func evaluate(_ threshold: Threshold, verdicts: Verdicts?) -> ThresholdResult {
        let boundText = "\(threshold.comparison.rawValue) \(Self.text(threshold.bound, of: threshold.metric))"
        func result(_ observed: Double) -> ThresholdResult {
            let passed = threshold.comparison.holds(observed, threshold.bound)
            return ThresholdResult(
                threshold: threshold.check, outcome: passed ? .passed : .failed, observed: observed,
                observedText: Self.text(observed, of: threshold.metric), boundText: boundText)
        }
        func unknown(_ outcome: ThresholdResult.Outcome, _ reason: String, text: String = "?") -> ThresholdResult {
            ThresholdResult(
                threshold: threshold.check, outcome: outcome, observed: nil, observedText: text, boundText: boundText,
                reason: reason)
        }
        switch threshold.metric {
        case .latency(let statistic, let uncorrected, let selector, let scope):
            switch bucket(selector, scope) {
            case .failure(let problem): return unknown(.failed, problem.message)
            case .success(let bucket):
                let histogram = (uncorrected ? bucket.uncorrected : bucket.corrected)
                guard !histogram.isEmpty else { return unknown(.failed, "no requests", text: "no data") }
                let sparse = histogram.sparse
                switch statistic {
                case .percentile(let percentile):
                    return result(Double(HistogramAccumulator.percentile(percentile, of: sparse)) / 1000)
                case .max: return result(sparse.summary.max)
                case .mean: return result(sparse.summary.mean)
                }
            }
        case .errorRate(let selector, let scope):
            switch bucket(selector, scope) {
            case .failure(let problem): return unknown(.failed, problem.message)
            case .success(let bucket):
                guard bucket.requests.requests > 0 else { return unknown(.failed, "no requests", text: "no data") }
                return result(Double(bucket.requests.failed) / Double(bucket.requests.requests))
            }
        case .rate(let label, let selector, let scope):
            switch bucket(selector, scope) {
            case .failure(let problem): return unknown(.failed, problem.message)
            case .success(let bucket):
                let requests = bucket.requests
                guard requests.requests > 0 else { return unknown(.failed, "no requests", text: "no data") }
                return result(Double(Self.count(label, in: requests)) / Double(requests.requests))
            }
        case .dropped(let scope):
            switch slotSet(scope) {
            case .failure(let problem): return unknown(.failed, problem.message)
            case .success(let selected): return result(Double(slotsBucket(selected).shoppers.dropped))
            }
        case .arrivals:
            let expected =
                verdicts == nil
                ? plan.expectedArrivals(upTo: Double(lastSecond + 1)) + burstCrowd(before: Double(lastSecond + 1))
                : plan.expectedTotal
            guard expected > 0 else { return unknown(.failed, "the plan expects no arrivals yet", text: "no data") }
            return result(Double(slotsBucket().shoppers.started) / expected)
        case .oversold, .phantom, .leaked:
            guard let verdicts else { return unknown(.unverified, "known only after the run") }
            guard !verdicts.inventory.isEmpty else { return unknown(.unverified, "the scenario has no ledger") }
            let unverified = verdicts.inventory.filter { !$0.verified }
            guard unverified.isEmpty else {
                return unknown(
                    .unverified,
                    "unverified for \(unverified.map(\.sku).joined(separator: ", ")): \(unverified[0].problem ?? "no books")"
                )
            }
            let total = verdicts.inventory.reduce(0) { sum, verdict in
                switch threshold.metric {
                case .oversold: sum + verdict.oversold
                case .phantom: sum + verdict.phantom
                default: sum + verdict.leaked
                }
            }
            return result(Double(total))
        case .doubleCharges, .orphanCharges, .unchargedOrders, .failoverTime:
            guard let verdicts else { return unknown(.unverified, "known only after the run") }
            guard let payments = verdicts.payments else {
                return unknown(.unverified, "the run was not a payment drill")
            }
            guard payments.verified else {
                return unknown(.unverified, payments.problem ?? "the ledgers were not read")
            }
            switch threshold.metric {
            case .doubleCharges: return result(Double(payments.doubleCharges))
            case .orphanCharges: return result(Double(payments.orphanCharges))
            case .unchargedOrders: return result(Double(payments.unchargedOrders ?? 0))
            default:
                guard payments.primaryFaulted else {
                    return unknown(.unverified, "no fault hit the primary \(payments.primary): no failover to time")
                }
                if let unmeasured = payments.failoverUnmeasured { return unknown(.unverified, unmeasured) }
                guard let seconds = payments.failoverSeconds else {
                    return ThresholdResult(
                        threshold: threshold.check, outcome: .failed, observed: nil, observedText: "never",
                        boundText: boundText, reason: "no payment went through another channel during the fault")
                }
                return result(seconds)
            }
        }
    }

    /// Problems with the names a threshold uses (a step, a flow, a period, a burst), for the configuration check.
    public func problems(with threshold: Threshold) -> [String] {
        var problems: [String] = []
        switch threshold.metric {
        case .latency(_, _, let selector, let scope), .errorRate(let selector, let scope),
            .rate(_, let selector, let scope):
            if case .failure(let problem) = stepSet(selector) { problems.append(problem.message) }
            if case .failure(let problem) = slotSet(scope) { problems.append(problem.message) }
        case .dropped(let scope):
            if case .failure(let problem) = slotSet(scope) { problems.append(problem.message) }
        default:
            break
        }
        return problems
    }

    /// Requests of the selected steps over the scope's slots.
    private func bucket(
        _ selector: Threshold.Selector, _ scope: Threshold.Scope
    ) -> Result<Bucket, ThresholdFigureError> {
        let slots: Set<Int>?
        switch slotSet(scope) {
        case .failure(let error): return .failure(error)
        case .success(let selected): slots = selected
        }
        switch stepSet(selector) {
        case .failure(let error): return .failure(error)
        case .success(nil): return .success(slotsBucket(slots))
        case .success(let ids?):
            var bucket = Bucket()
            for id in ids { bucket.add(stepBucket(id, slots: slots)) }
            return .success(bucket)
        }
    }

    /// The steps a selector names (nil: all of them).
    private func stepSet(_ selector: Threshold.Selector) -> Result<[StepID]?, ThresholdFigureError> {
        switch selector {
        case .all:
            return .success(nil)
        case .flow(let name):
            guard let flow = scenario.flows.firstIndex(where: { $0.name == name }) else {
                return .failure(ThresholdFigureError("the scenario has no flow \"\(name)\""))
            }
            return .success(scenario.flows[flow].steps.indices.map { StepID(flow: flow, step: $0) })
        case .step(let flowName, let stepName):
            guard let flow = scenario.flows.firstIndex(where: { $0.name == flowName }) else {
                return .failure(ThresholdFigureError("the scenario has no flow \"\(flowName)\""))
            }
            guard let step = scenario.flows[flow].steps.firstIndex(where: { $0.name == stepName }) else {
                return .failure(ThresholdFigureError("the flow \(flowName) has no step \"\(stepName)\""))
            }
            return .success([StepID(flow: flow, step: step)])
        }
    }

    /// The plan's slots a scope covers (nil: the whole run).
    private func slotSet(_ scope: Threshold.Scope) -> Result<Set<Int>?, ThresholdFigureError> {
        switch scope {
        case .run:
            return .success(nil)
        case .period(let label):
            let periods = plan.profile.periods.filter { $0.label == label }.map(\.index)
            guard !periods.isEmpty else {
                return .failure(ThresholdFigureError("the profile has no hour or stage \"\(label)\""))
            }
            let slots = plan.slots.filter { periods.contains($0.period) }.map(\.index)
            guard !slots.isEmpty else {
                return .failure(ThresholdFigureError("\(label) is not in the window played"))
            }
            return .success(Set(slots))
        case .burst(let label):
            guard let burst = plan.profile.bursts.firstIndex(where: { $0.label == label }) else {
                return .failure(ThresholdFigureError("the profile has no burst \"\(label)\""))
            }
            guard let slot = plan.slotIndex(ofBurst: burst) else {
                return .failure(ThresholdFigureError("the burst \"\(label)\" is not in the window played"))
            }
            return .success([slot])
        }
    }

    /// Crowds of bursts that came due before `second`.
    private func burstCrowd(before second: Double) -> Double {
        var crowd = 0.0
        for slot in plan.slots[plan.timeSlotCount...] {
            guard let index = slot.burst else { continue }
            let burst = plan.profile.bursts[index]
            let start = plan.realTime(ofBurst: index)
            guard second > start else { continue }
            crowd +=
                burst.within == 0 ? Double(burst.crowd) : Double(burst.crowd) * min(1, (second - start) / burst.within)
        }
        return crowd
    }

    /// Requests answered 429, or failed with a label (`5xx` and `4xx` stand for `status_5xx`, `status_4xx`).
    static func count(_ label: String, in requests: RequestCounts) -> Int {
        switch label {
        case "429": requests.throttled
        case "5xx": requests.errors[.status5xx, default: 0]
        case "4xx": requests.errors[.status4xx, default: 0]
        default: requests.errors[ErrorLabel(rawValue: label), default: 0]
        }
    }

    /// A figure as people read it: "312 ms", "1.25%", "0.97 s", "0".
    static func text(_ value: Double, of metric: Threshold.Metric) -> String {
        switch metric {
        case .latency: return Self.decimal(value, value < 10 ? 3 : value < 100 ? 2 : 0) + " ms"
        case .failoverTime: return Self.decimal(value, 2) + " s"
        case .errorRate, .rate, .arrivals: return Self.decimal(value * 100, value * 100 < 10 ? 2 : 1) + "%"
        default: return String(Int(value.rounded()))
        }
    }

    static func decimal(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if digits == 0, text.hasSuffix(".0") { text.removeLast(2) }
        return text
    }
}

/// Why a figure a threshold names does not exist.
struct ThresholdFigureError: Error, Sendable, CustomStringConvertible {
    var message: String
    init(_ message: String) { self.message = message }
    var description: String { message }
}
