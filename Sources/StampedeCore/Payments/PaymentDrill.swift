/// A payment-failover drill, from the scenario: the channel simulators (their base URLs), which one is primary,
/// the faults to inject on the plan's clock, and where the target lists its orders.
public struct PaymentDrill: Codable, Sendable, Equatable {
    public struct Channel: Codable, Sendable, Equatable {
        public var name: String
        /// The simulator's base URL; its admin API is `/admin/faults`, `/admin/ledger`, `/admin/reset`.
        public var url: String

        public init(name: String, url: String) {
            self.name = name
            self.url = url
        }
    }

    public struct Fault: Codable, Sendable, Equatable {
        public var channel: String
        public var kind: ChannelFault.Kind
        /// Profile seconds.
        public var at: Double
        /// Real seconds.
        public var lasting: Double
        /// Added latency for `slow`, seconds.
        public var extra: Double

        public init(channel: String, kind: ChannelFault.Kind, at: Double, lasting: Double, extra: Double = 0) {
            self.channel = channel
            self.kind = kind
            self.at = at
            self.lasting = lasting
            self.extra = extra
        }
    }

    public var channels: [Channel]
    public var primary: String
    public var faults: [Fault]
    /// The target's orders (path on the target or URL): `[{id, status, channel, coupon}]` at `$.orders`.
    public var orders: String?
    /// The target's count of charge attempts per channel by outcome (`{channels: {name: {outcome: n}}}`).
    public var attempts: String?

    public init(channels: [Channel], primary: String, faults: [Fault], orders: String? = nil, attempts: String? = nil) {
        self.channels = channels
        self.primary = primary
        self.faults = faults
        self.orders = orders
        self.attempts = attempts
    }
}

/// A fault as it happened, in run seconds.
public struct FaultWindow: Codable, Sendable, Equatable {
    public var channel: String
    public var kind: ChannelFault.Kind
    public var from: Double
    public var until: Double

    public init(channel: String, kind: ChannelFault.Kind, from: Double, until: Double) {
        self.channel = channel
        self.kind = kind
        self.from = from
        self.until = until
    }
}
