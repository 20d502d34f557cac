/// What a payment step means: the order paid, and which channel the target says it went through.
public struct PaymentRule: Codable, Sendable, Equatable {
    /// The order being paid (`{{order_id}}`).
    public var order: Template
    /// Where the response names the channel used (`$.channel`), if it does.
    public var channel: ValuePath?
    /// What a successful payment looks like; nil means any response the step accepts.
    public var paid: Expectation?

    public init(order: Template, channel: ValuePath? = nil, paid: Expectation? = nil) {
        self.order = order
        self.channel = channel
        self.paid = paid
    }
}

/// What one shopper was told about one payment.
public struct PaymentEvent: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable {
        case paid
        case failed
        /// No answer (a timeout, a broken connection): the shopper does not know.
        case unknown
    }

    public var order: String
    public var outcome: Outcome
    public var channel: String?
    /// Microseconds since the run's start, when the answer came (or the attempt ended).
    public var at: UInt64

    public init(order: String, outcome: Outcome, channel: String? = nil, at: UInt64) {
        self.order = order
        self.outcome = outcome
        self.channel = channel
        self.at = at
    }
}

/// One charge in a channel simulator's ledger.
public struct ChargeRecord: Codable, Sendable, Equatable {
    public var id: String
    public var order: String
    public var amount: Int
    public var idempotencyKey: String?
    public var succeeded: Bool
    public var channel: String

    public init(id: String, order: String, amount: Int, idempotencyKey: String?, succeeded: Bool, channel: String) {
        self.id = id
        self.order = order
        self.amount = amount
        self.idempotencyKey = idempotencyKey
        self.succeeded = succeeded
        self.channel = channel
    }
}

/// One order in the target's books, for the payment verdict.
public struct OrderRecord: Codable, Sendable, Equatable {
    public var id: String
    /// "paid" (in any case) or anything else.
    public var status: String
    public var channel: String?
    public var coupon: String?

    public init(id: String, status: String, channel: String? = nil, coupon: String? = nil) {
        self.id = id
        self.status = status
        self.channel = channel
        self.coupon = coupon
    }

    /// Whether the target's books call the order paid: its status is "paid", "PAID" or "Paid".
    public var isPaid: Bool { status.lowercased() == "paid" }
}
