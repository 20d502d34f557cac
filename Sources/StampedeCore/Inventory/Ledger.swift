/// What a step's response means for the books: it confirms an order of a SKU, or says the SKU is sold out.
public struct LedgerRule: Codable, Sendable, Equatable {
    /// The SKU ordered (`{{sku}}`).
    public var sku: Template
    /// Units per confirmed order.
    public var quantity: Int
    /// A success of this step confirms an order (`confirms: order`). A rule without it only watches for "sold out"
    /// (an add-to-basket step, whose order is confirmed at a later step with its own rule for the same SKU).
    public var confirms: Bool
    /// What a confirmation looks like; nil means any response the step accepts.
    public var confirmed: Expectation?
    /// What "sold out" looks like (for example 409, or a body text). Such a response ends the shopper's flow
    /// without an error: the target behaved.
    public var soldOut: Expectation?

    public init(
        sku: Template, quantity: Int = 1, confirms: Bool = true, confirmed: Expectation? = nil, soldOut: Expectation?
    ) {
        self.sku = sku
        self.quantity = quantity
        self.confirms = confirms
        self.confirmed = confirmed
        self.soldOut = soldOut
    }

    public enum Entry: Sendable, Equatable {
        case confirmed(units: Int)
        case soldOut
        case failed
    }

    /// How a response counts in the ledger; nil when it is nothing for the ledger (a step that only watches for
    /// "sold out" got something else).
    public func entry(status: Int, body: some Collection<UInt8>, stepAccepted: Bool) -> Entry? {
        if let soldOut, soldOut.matches(status: status, body: body) { return .soldOut }
        guard confirms else { return nil }
        if let confirmed {
            return confirmed.matches(status: status, body: body) ? .confirmed(units: quantity) : .failed
        }
        return stepAccepted ? .confirmed(units: quantity) : .failed
    }
}

extension Expectation {
    /// True when the status is in the set (or any 2xx/3xx for an empty set) and the body text, if any, is there.
    public func matches(status code: Int, body: some Collection<UInt8>) -> Bool {
        guard accepts(status: code) else { return false }
        guard let needle = bodyContains, !needle.isEmpty else { return true }
        return body.containsSubsequence(Array(needle.utf8))
    }
}

/// One SKU's side of the shoppers' ledger: what they were told.
public struct LedgerCounts: Codable, Sendable, Equatable {
    /// Units confirmed to shoppers.
    public var confirmedUnits = 0
    public var confirmations = 0
    /// Shoppers told "sold out".
    public var soldOut = 0
    /// Attempts that were neither confirmed nor rejected as sold out (errors, timeouts, throttling).
    public var failed = 0
    /// When each confirmation arrived, in microseconds since the start of the run.
    public var confirmedAt: [UInt64] = []

    public init() {}

    public mutating func add(_ other: LedgerCounts) {
        confirmedUnits += other.confirmedUnits
        confirmations += other.confirmations
        soldOut += other.soldOut
        failed += other.failed
        confirmedAt += other.confirmedAt
    }
}
