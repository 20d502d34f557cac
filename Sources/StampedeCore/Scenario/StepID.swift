/// A step of a scenario by position: its flow's index and its index in the flow. Step identity travels as this
/// from the shopper to the report unchanged; names are attached only where people read them (the report).
public struct StepID: Hashable, Comparable, Codable, Sendable, CustomStringConvertible {
    public var flow: Int
    public var step: Int

    public init(flow: Int, step: Int) {
        self.flow = flow
        self.step = step
    }

    public static func < (lhs: StepID, rhs: StepID) -> Bool { (lhs.flow, lhs.step) < (rhs.flow, rhs.step) }

    public var description: String { "\(flow)/\(step)" }
}

extension Scenario {
    /// Every step in scenario order.
    public var stepIDs: [StepID] {
        flows.enumerated().flatMap { flow, content in content.steps.indices.map { StepID(flow: flow, step: $0) } }
    }

    /// True when the scenario has such a step.
    public func contains(_ id: StepID) -> Bool {
        flows.indices.contains(id.flow) && flows[id.flow].steps.indices.contains(id.step)
    }

    /// The flow's and the step's names, as the report shows them.
    public func names(of id: StepID) -> (flow: String, step: String) {
        guard contains(id) else { return ("flow#\(id.flow)", "step#\(id.step)") }
        return (flows[id.flow].name, flows[id.flow].steps[id.step].name)
    }
}
