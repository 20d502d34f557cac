/// How arrivals are spread around the planned rate.
public enum ArrivalProcess: String, Codable, Sendable, CaseIterable {
    /// A non-homogeneous Poisson process: independent shoppers, as a real crowd.
    case poisson
    /// Evenly spaced arrivals following the rate exactly (the count never strays from the plan by more than one).
    case uniform
}

/// One planned shopper: its index in the plan's global sequence and when it is due (real seconds since start).
public struct Arrival: Sendable, Equatable {
    public var index: UInt64
    public var time: Double

    public init(index: UInt64, time: Double) {
        self.index = index
        self.time = time
    }
}

/// The open-model pacing of a plan: when each shopper arrives, whether or not the target keeps up.
///
/// Arrival `k` is due when Λ(t), the expected count so far, reaches `E_k`: for a Poisson process `E_k` is a sum
/// of `k + 1` exponential draws from the seeded generator (time rescaling), for a uniform one it is `k + ½`.
/// Every worker walks the same global sequence and keeps the arrivals its ``Share`` owns, so the same seed gives
/// the same shoppers at the same instants however the plan is split.
public struct ArrivalSequence: Sequence, IteratorProtocol, Sendable {
    public let plan: Plan
    public let process: ArrivalProcess
    public let share: Share
    private var random: SeededRandom
    private var nextIndex: UInt64 = 0
    private var target: Double = 0
    private var pending: Arrival?

    public init(plan: Plan, process: ArrivalProcess, seed: UInt64, share: Share = .whole) {
        self.plan = plan
        self.process = process
        self.share = share
        self.random = SeededRandom(seed: seed, stream: 0xA771_7A15)
    }

    /// The next arrival this share owns, or nil when the plan is over.
    public mutating func next() -> Arrival? {
        if let arrival = pending {
            pending = nil
            return arrival
        }
        while true {
            switch process {
            case .poisson: target += random.nextExponential()
            case .uniform: target = Double(nextIndex) + 0.5
            }
            guard let time = plan.realTime(reachingExpected: target), time < plan.duration else { return nil }
            let index = nextIndex
            nextIndex += 1
            if share.owns(arrival: index) { return Arrival(index: index, time: time) }
        }
    }

    /// When the next arrival is due, without taking it; nil when the plan is over.
    public mutating func peekTime() -> Double? {
        if pending == nil { pending = next() }
        return pending?.time
    }

    /// The pacing step: every arrival due by `elapsed` seconds (in order), taken from the sequence.
    public mutating func take(dueBy elapsed: Double, limit: Int = .max) -> [Arrival] {
        var due: [Arrival] = []
        while due.count < limit, let time = peekTime(), time <= elapsed {
            due.append(pending!)
            pending = nil
        }
        return due
    }
}
