public import StampedeCore

/// A scenario made ready to run against one origin.
public struct ScenarioRuntime: Sendable {
    public let scenario: Scenario
    public let origin: Origin
    private let cumulativeWeights: [Double]
    /// Per burst of the profile, the index of the flow its crowd follows (nil when the scenario lacks it).
    let burstFlows: [Int?]

    public init(scenario: Scenario, origin: Origin, bursts: [Burst] = []) {
        self.scenario = scenario
        self.origin = origin
        self.burstFlows = bursts.map { burst in scenario.flows.firstIndex { $0.name == burst.flow } }
        var total = 0.0
        self.cumulativeWeights = scenario.flows.map { flow in
            total += flow.weight
            return total
        }
    }

    /// Picks a flow by weight.
    func pickFlow(_ random: inout SeededRandom) -> Int {
        let total = cumulativeWeights.last ?? 0
        let point = random.nextUnit() * total
        return cumulativeWeights.firstIndex { point < $0 } ?? (cumulativeWeights.count - 1)
    }

    /// The variables a shopper starts with: its id, its flow, and one value drawn from each data list.
    func initialVariables(shopper: UInt64, flow: Int, _ random: inout SeededRandom) -> [String: String] {
        var variables = ["shopper": String(shopper), "flow": scenario.flows[flow].name]
        for list in scenario.data {
            variables[list.name] = list.values[Int(random.next() % UInt64(list.values.count))]
        }
        return variables
    }
}
