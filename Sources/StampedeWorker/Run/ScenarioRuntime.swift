import NIOCore
public import StampedeCore

/// A scenario made ready to run against one origin: flows by weight, extractions compiled, the origins URLs may go
/// to, and what a shopper starts with.
public struct ScenarioRuntime: Sendable {
    public let scenario: Scenario
    public let origin: Origin
    private let cumulativeWeights: [Double]
    /// Per burst of the profile, the index of the flow its crowd follows (nil when the scenario lacks it).
    let burstFlows: [Int?]
    /// Per flow, per step: its extractions, compiled.
    let extractions: [[[ExtractionRule]]]
    /// Per flow, per step: its body's bytes when it has no placeholder, rendered once for every request (a JSON
    /// body rendered a request was 1.5 % of the worker's CPU in a five-step funnel, with its buffer's allocations).
    let constantBodies: [[ByteBuffer?]]
    /// Where requests may go: the target and the scenario's origins.
    let allowedOrigins: Set<Origin>
    /// Per burst, the number of burst shoppers before its first (feeders number burst shoppers after each other).
    private let crowdBefore: [Int]

    public init(scenario: Scenario, origin: Origin, bursts: [Burst] = []) {
        self.scenario = scenario
        self.origin = origin
        self.burstFlows = bursts.map { burst in scenario.flows.firstIndex { $0.name == burst.flow } }
        var total = 0.0
        self.cumulativeWeights = scenario.flows.map { flow in
            total += flow.weight
            return total
        }
        // The loader compiled each extraction once already: these cannot fail for a loaded scenario.
        self.extractions = scenario.flows.map { flow in
            flow.steps.map { step in step.extract.compactMap { try? ExtractionRule($0) } }
        }
        self.constantBodies = scenario.flows.map { flow in
            flow.steps.map { step in
                guard let body = step.body, body.templates.allSatisfy(\.isConstant) else { return nil }
                let (text, problem) = body.render { _ in nil }
                return problem == nil ? ByteBuffer(string: text) : nil
            }
        }
        self.allowedOrigins = Set([origin] + scenario.origins.compactMap(Origin.init(url:)))
        var before = 0
        self.crowdBefore = bursts.map { burst in
            defer { before += burst.crowd }
            return before
        }
    }

    /// Picks a flow by weight.
    func pickFlow(_ random: inout SeededRandom) -> Int {
        let total = cumulativeWeights.last ?? 0
        let point = random.nextUnit() * total
        return cumulativeWeights.firstIndex { point < $0 } ?? (cumulativeWeights.count - 1)
    }

    /// The variables a shopper starts with: its id, its flow, one value drawn from each data list, and a row of
    /// each feeder (nil when a unique feeder has no row for this shopper).
    func initialVariables(_ arrival: Arrival, flow: Int, _ random: inout SeededRandom) -> ShopperVariables? {
        var variables = ShopperVariables(shopper: String(arrival.index), flow: scenario.flows[flow].name)
        for list in scenario.data {
            variables[list.name] = .text(list.values[Int(random.next() % UInt64(list.values.count))])
        }
        for feeder in scenario.feeders {
            guard let row = feeder.row(for: feederKey(arrival), random: &random) else { return nil }
            for (column, value) in zip(feeder.columns, row) { variables["\(feeder.name).\(column)"] = .text(value) }
        }
        return variables
    }

    /// The shopper's number for feeders: the shape's shoppers count up from 0, burst shoppers down from the last
    /// row (so the two never meet while there are rows for both).
    func feederKey(_ arrival: Arrival) -> Feeder.ShopperKey {
        guard let burst = arrival.burst, burst < crowdBefore.count else { return .shape(arrival.index) }
        let shopper = Int(arrival.index & ((1 << 48) - 1))
        return .burst(crowdBefore[burst] + shopper)
    }
}
