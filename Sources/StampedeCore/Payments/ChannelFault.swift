/// A fault a payment channel shows for a while.
public struct ChannelFault: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        /// Accepts the charge, charges, and never answers: the nasty case.
        case timeout
        /// Answers 503 without charging.
        case error
        /// Charges and answers, `extra` seconds later than usual.
        case slow
        /// Alternates, second by second, between error and normal service.
        case flap
        /// Refuses connections: nothing is charged.
        case refuse
        /// Answers bytes that are not HTTP, without charging.
        case garbage
    }

    public var kind: Kind
    /// Seconds from the schedule's origin (the run's start for a drill).
    public var from: Double
    public var duration: Double
    /// Added latency, for `slow`.
    public var extra: Double

    public init(kind: Kind, from: Double, duration: Double, extra: Double = 0) {
        self.kind = kind
        self.from = from
        self.duration = duration
        self.extra = extra
    }

    public var until: Double { from + duration }
}

/// The faults of one channel over time.
public struct FaultSchedule: Codable, Sendable, Equatable {
    public var faults: [ChannelFault]

    public init(_ faults: [ChannelFault] = []) {
        self.faults = faults
    }

    /// What the channel does at `time` seconds from the origin; nil is normal service. `flap` resolves to
    /// `error` in its even seconds and to normal service in its odd ones.
    public func behaviour(at time: Double) -> ChannelFault? {
        guard let fault = faults.last(where: { $0.from <= time && time < $0.until }) else { return nil }
        if fault.kind == .flap {
            return Int((time - fault.from).rounded(.down)) % 2 == 0
                ? ChannelFault(kind: .error, from: fault.from, duration: fault.duration) : nil
        }
        return fault
    }
}
