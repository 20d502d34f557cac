/// The decisions of a capacity search, as a state machine fed with each step's result: climb (each step
/// `growth` times the last, from `from`, never above `maxRate`) until a step breaks, then bisect between the last
/// rate that held and the first that broke until they are `resolution` apart. A step the generator itself could
/// not play (it dropped arrivals or fell behind) says nothing about the target: the search stops there.
public struct CapacitySearch: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        public var from: Double
        public var maxRate: Double
        public var resolution: Double
        public var growth: Double

        public init(from: Double, maxRate: Double, resolution: Double, growth: Double = 2) {
            self.from = from
            self.maxRate = maxRate
            self.resolution = resolution
            self.growth = growth
        }

        /// What is wrong with the settings, or nil.
        public var problem: String? {
            if !(from > 0) { return "--from must be above 0" }
            if !(maxRate >= from) { return "--max-rate must be at least --from" }
            if !(resolution > 0) { return "--resolution must be above 0" }
            if !(growth > 1) { return "the growth between steps must be above 1" }
            return nil
        }
    }

    /// How one step went.
    public enum Verdict: Sendable, Equatable, Codable {
        /// Every threshold held.
        case held
        /// The target broke a threshold (or a verdict); what broke first.
        case broke(String)
        /// The generator could not play the step (dropped arrivals, fell behind): no verdict on the target.
        case generatorBound(String)
    }

    public enum Phase: Sendable, Equatable {
        case climbing
        case narrowing
        case done(Conclusion)
    }

    /// How the search ended.
    public enum Conclusion: String, Sendable, Equatable, Codable {
        /// The knee lies between the last good and the first bad rate, `resolution` apart at most.
        case knee
        /// Even `--max-rate` held.
        case heldAtMax = "held_at_max"
        /// Even `--from` broke.
        case brokeAtFrom = "broke_at_from"
        /// The generator was the limit before the target was.
        case generatorBound = "generator_bound"
    }

    public let settings: Settings
    public private(set) var phase: Phase = .climbing
    public private(set) var lastGood: Double?
    public private(set) var firstBad: Double?
    /// What broke at the first bad rate.
    public private(set) var firstBreak: String?
    public private(set) var steps: [(rate: Double, verdict: Verdict)] = []
    private var pending: Double?

    public init(_ settings: Settings) {
        self.settings = settings
        pending = min(settings.from, settings.maxRate)
    }

    /// The rate to play next; nil when the search is over.
    public var next: Double? { pending }

    /// Takes the result of the step at `next`.
    public mutating func record(_ verdict: Verdict) {
        guard let rate = pending else { return }
        steps.append((rate, verdict))
        switch verdict {
        case .generatorBound:
            finish(.generatorBound)
            return
        case .held:
            lastGood = max(lastGood ?? rate, rate)
        case .broke(let what):
            if firstBad.map({ rate < $0 }) ?? true {
                firstBad = rate
                firstBreak = what
            }
        }
        switch (lastGood, firstBad) {
        case (let good?, nil):
            if good >= settings.maxRate {
                finish(.heldAtMax)
            } else {
                phase = .climbing
                pending = min(good * settings.growth, settings.maxRate)
            }
        case (nil, _?):
            finish(.brokeAtFrom)
        case (let good?, let bad?):
            if bad - good <= settings.resolution {
                finish(.knee)
            } else {
                phase = .narrowing
                pending = (good + bad) / 2
            }
        case (nil, nil):
            pending = nil
        }
    }

    private mutating func finish(_ conclusion: Conclusion) {
        phase = .done(conclusion)
        pending = nil
    }

    public static func == (lhs: CapacitySearch, rhs: CapacitySearch) -> Bool {
        lhs.settings == rhs.settings && lhs.phase == rhs.phase && lhs.lastGood == rhs.lastGood
            && lhs.firstBad == rhs.firstBad && lhs.steps.map(\.rate) == rhs.steps.map(\.rate)
            && lhs.steps.map(\.verdict) == rhs.steps.map(\.verdict)
    }
}
