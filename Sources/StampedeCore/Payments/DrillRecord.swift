/// What the coordinator gathered for a payment drill.
public struct DrillRecord: Codable, Sendable, Equatable {
    public var primary: String
    public var faults: [FaultWindow]
    /// Every channel's charges; nil when a ledger could not be read.
    public var charges: [ChargeRecord]?
    public var orders: [OrderRecord]?
    public var attempts: [String: [String: Int]]?
    public var problem: String?

    public init(
        primary: String, faults: [FaultWindow], charges: [ChargeRecord]?, orders: [OrderRecord]?,
        attempts: [String: [String: Int]]? = nil, problem: String?
    ) {
        self.primary = primary
        self.faults = faults
        self.charges = charges
        self.orders = orders
        self.attempts = attempts
        self.problem = problem
    }
}
