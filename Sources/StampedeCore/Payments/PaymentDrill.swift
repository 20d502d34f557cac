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

extension PaymentDrill {
    /// Whether two channels' URLs name one simulator (as written, but for case and a trailing slash).
    public static func sameSimulator(_ a: String, _ b: String) -> Bool {
        func plain(_ url: String) -> String { (url.hasSuffix("/") ? String(url.dropLast()) : url).lowercased() }
        return plain(a) == plain(b)
    }

    /// The faults that would start outside `window` (profile seconds), the part of the profile played: such a
    /// fault never happens, and the drill would judge a failover nothing tested.
    public func faultsOutside(_ window: ProfileWindow) -> [String] {
        faults.enumerated().compactMap { index, fault in
            guard fault.at < window.start || fault.at >= window.end else { return nil }
            return "drill.faults[\(index)].at: \(ProfileClock.instant(fault.at)) is outside the part of the profile "
                + "played (\(ProfileClock.instant(window.start)) to \(ProfileClock.instant(window.end))): the fault "
                + "would never happen, and the drill would judge a failover nothing tested"
        }
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
