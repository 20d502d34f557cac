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
    public private(set) var schedule: ShareSchedule
    private var walk: Walk
    /// The next owned arrival, looked at but not taken, and the walk as it was before looking.
    private var pending: (arrival: Arrival, before: Walk)?

    /// Where the walk along the global sequence stands.
    private struct Walk: Sendable {
        var random: SeededRandom
        var nextIndex: UInt64 = 0
        var target: Double = 0
    }

    public init(plan: Plan, process: ArrivalProcess, seed: UInt64, share: Share = .whole) {
        self.init(plan: plan, process: process, seed: seed, schedule: ShareSchedule(share))
    }

    public init(plan: Plan, process: ArrivalProcess, seed: UInt64, schedule: ShareSchedule) {
        self.plan = plan
        self.process = process
        self.schedule = schedule
        self.walk = Walk(random: SeededRandom(seed: seed, stream: 0xA771_7A15))
    }

    /// The next arrival this share owns, or nil when the plan is over.
    public mutating func next() -> Arrival? {
        if let (arrival, _) = pending {
            pending = nil
            return arrival
        }
        while true {
            switch process {
            case .poisson: walk.target += walk.random.nextExponential()
            case .uniform: walk.target = Double(walk.nextIndex) + 0.5
            }
            guard let time = plan.realTime(reachingExpected: walk.target), time < plan.duration else { return nil }
            let index = walk.nextIndex
            walk.nextIndex += 1
            if schedule.owns(arrival: index, at: time) { return Arrival(index: index, time: time) }
        }
    }

    /// When the next arrival is due, without taking it; nil when the plan is over.
    public mutating func peekTime() -> Double? {
        if pending == nil {
            let before = walk
            if let arrival = next() { pending = (arrival, before) }
        }
        return pending?.arrival.time
    }

    /// Changes the share from `from` seconds on. Arrivals not yet taken are looked at again with the new share.
    public mutating func changeShare(to share: Share, from: Double) {
        schedule.change(to: share, from: from)
        if let (_, before) = pending {
            walk = before
            pending = nil
        }
    }

    /// How many arrivals the schedule owns with due times in [from, to): what a lost worker did not send.
    public static func count(
        plan: Plan, process: ArrivalProcess, seed: UInt64, share: Share, from: Double, to: Double
    ) -> Int {
        var sequence = ArrivalSequence(plan: plan, process: process, seed: seed, share: share)
        var count = 0
        while let arrival = sequence.next(), arrival.time < to {
            if arrival.time >= from { count += 1 }
        }
        return count
    }

    /// The pacing step: every arrival due by `elapsed` seconds (in order), taken from the sequence.
    public mutating func take(dueBy elapsed: Double, limit: Int = .max) -> [Arrival] {
        var due: [Arrival] = []
        while due.count < limit, let time = peekTime(), time <= elapsed {
            due.append(pending!.arrival)
            pending = nil
        }
        return due
    }
}
