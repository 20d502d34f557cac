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
    /// The burst it belongs to, if it is part of a flash-sale crowd.
    public var burst: Int?

    public init(index: UInt64, time: Double, burst: Int? = nil) {
        self.index = index
        self.time = time
        self.burst = burst
    }

    /// Burst shoppers are numbered from 2⁴⁸ × (burst + 1), apart from the shape's.
    public static func burstIndex(burst: Int, shopper: Int) -> UInt64 {
        (UInt64(burst) + 1) << 48 + UInt64(shopper)
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
    /// Every burst shopper in time order (owned or not: ownership is checked when they come due).
    private let crowd: [Arrival]

    /// Where the walk along the global sequence stands.
    private struct Walk: Sendable {
        var random: SeededRandom
        var nextIndex: UInt64 = 0
        var target: Double = 0
        /// The next burst shopper to consider.
        var crowdPosition = 0
        /// The next arrival of the shape, computed but not yet returned (it may come after burst shoppers).
        var shape: Arrival?
        var shapeOver = false
        /// When the walk stands: the time of the shape's last arrival computed (or the end of the last skip).
        var shapeTime: Double = 0
    }

    public init(plan: Plan, process: ArrivalProcess, seed: UInt64, share: Share = .whole) {
        self.init(plan: plan, process: process, seed: seed, schedule: ShareSchedule(share))
    }

    public init(plan: Plan, process: ArrivalProcess, seed: UInt64, schedule: ShareSchedule) {
        self.plan = plan
        self.process = process
        self.schedule = schedule
        self.walk = Walk(random: SeededRandom(seed: seed, stream: 0xA771_7A15))
        self.crowd = Self.crowd(plan)
    }

    /// Each burst's shoppers, evenly over its window (all at its start when the window is 0), in time order.
    static func crowd(_ plan: Plan) -> [Arrival] {
        var crowd: [Arrival] = []
        for slot in plan.slots[plan.timeSlotCount...] {
            let index = slot.burst!
            let burst = plan.profile.bursts[index]
            let start = plan.realTime(ofBurst: index)
            for shopper in 0..<burst.crowd {
                let offset = burst.within * (Double(shopper) + 0.5) / Double(burst.crowd)
                crowd.append(
                    Arrival(
                        index: Arrival.burstIndex(burst: index, shopper: shopper), time: start + offset, burst: index))
            }
        }
        return crowd.sorted { ($0.time, $0.index) < ($1.time, $1.index) }
    }

    /// The next arrival this share owns, or nil when the plan is over.
    public mutating func next() -> Arrival? {
        if let (arrival, _) = pending {
            pending = nil
            return arrival
        }
        while true {
            if walk.shape == nil && !walk.shapeOver { walk.shape = nextOfShape() }
            let fromCrowd = walk.crowdPosition < crowd.count ? crowd[walk.crowdPosition] : nil
            let candidate: Arrival
            switch (walk.shape, fromCrowd) {
            case (nil, nil): return nil
            case (let shape?, let burst?) where burst.time < shape.time:
                candidate = burst
                walk.crowdPosition += 1
            case (let shape?, _):
                candidate = shape
                walk.shape = nil
            case (nil, let burst?):
                candidate = burst
                walk.crowdPosition += 1
            }
            if schedule.owns(arrival: candidate.index, at: candidate.time) { return candidate }
        }
    }

    /// The next arrival of the shape (owned or not), or nil past the end.
    private mutating func nextOfShape() -> Arrival? {
        switch process {
        case .poisson: walk.target += walk.random.nextExponential()
        case .uniform: walk.target = Double(walk.nextIndex) + 0.5
        }
        guard let time = plan.realTime(reachingExpected: walk.target), time < plan.duration else {
            walk.shapeOver = true
            return nil
        }
        defer { walk.nextIndex += 1 }
        walk.shapeTime = time
        return Arrival(index: walk.nextIndex, time: time)
    }

    /// Takes the shape's arrivals this share owns that are due before `limit`, without making them one by one,
    /// and returns how many it took: what a worker too far behind the plan to start them drops. It stops at the
    /// next burst shopper and at the next change of share (`takeNext` and the next call go on from there).
    ///
    /// A uniform process skips exactly the arrivals `next()` would have made. A Poisson process draws how many
    /// fall before `limit` (over an expected count m, that count is Poisson(m)), and the arrivals after it follow
    /// as they would have, the process having no memory: the plan is kept, the draws from here on are others.
    public mutating func skip(before limit: Double) -> Int {
        var taken = 0
        if let (arrival, _) = pending {
            guard arrival.burst == nil, arrival.time < limit else { return 0 }
            pending = nil
            taken = 1
        }
        var end = Swift.min(limit, plan.duration)
        if walk.crowdPosition < crowd.count { end = Swift.min(end, crowd[walk.crowdPosition].time) }
        if let shape = walk.shape {
            guard shape.time < end else { return taken }
            if schedule.owns(arrival: shape.index, at: shape.time) { taken += 1 }
            walk.shape = nil
        }
        // The share owning everything up to the next change.
        if let change = schedule.changes.first(where: { $0.from > walk.shapeTime }) {
            end = Swift.min(end, change.from)
        }
        let share = schedule.share(at: walk.shapeTime)
        guard !walk.shapeOver, end > walk.shapeTime else { return taken }
        let reached = plan.expectedArrivals(upTo: end)
        let count: UInt64
        switch process {
        case .poisson:
            guard reached > walk.target else { return taken }
            count = UInt64(walk.random.nextPoisson(mean: reached - walk.target))
            walk.target = reached
        case .uniform:
            // Arrival k is due where k + ½ are expected: those before `end` are 0 up to ⌈reached − ½⌉.
            let due = UInt64(Swift.max(0, (reached - 0.5).rounded(.up)))
            count = due > walk.nextIndex ? due - walk.nextIndex : 0
        }
        let first = walk.nextIndex
        walk.nextIndex += count
        walk.shapeTime = end
        // A part of the whole looks at each index's key (about a nanosecond each).
        if share == .whole { return taken + Int(count) }
        if share == .empty { return taken }
        for index in first..<walk.nextIndex where share.owns(arrival: index) { taken += 1 }
        return taken
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
        while due.count < limit, let arrival = takeNext(dueBy: elapsed) { due.append(arrival) }
        return due
    }

    /// The next arrival if it is due by `elapsed` (nil otherwise, and it stays next): one at a time, no array.
    public mutating func takeNext(dueBy elapsed: Double) -> Arrival? {
        guard let time = peekTime(), time <= elapsed else { return nil }
        defer { pending = nil }
        return pending!.arrival
    }
}
