/// The machine-readable result of a run (`report.json`): every other report is rendered from it.
public struct RunReport: Codable, Sendable, Equatable {
    public var format = "stampede.report/1"
    public var run: RunInfo
    public var totals: Totals
    public var steps: [StepSummary]
    public var periods: [PeriodSummary]
    public var spikes: [SpikeSummary]
    public var timeline: [TimelinePoint]

    public init(
        run: RunInfo, totals: Totals, steps: [StepSummary], periods: [PeriodSummary], spikes: [SpikeSummary],
        timeline: [TimelinePoint]
    ) {
        self.run = run
        self.totals = totals
        self.steps = steps
        self.periods = periods
        self.spikes = spikes
        self.timeline = timeline
    }
}

/// What was run, and how.
public struct RunInfo: Codable, Sendable, Equatable {
    public var id: String
    public var profile: String
    public var profileTitle: String
    public var timeZone: String
    public var scenario: String
    public var target: String
    public var seed: UInt64
    public var arrivals: ArrivalProcess
    public var peakRate: Double
    /// Profile seconds per real second.
    public var speed: Double
    public var window: String
    public var plannedSeconds: Double
    public var actualSeconds: Double
    /// Wall-clock start, ISO 8601 (UTC).
    public var startedAt: String
    public var workers: Int
    public var maxShoppers: Int
    public var connections: Int
    /// True when the run was stopped before the end of its plan.
    public var interrupted: Bool

    public init(
        id: String, profile: String, profileTitle: String, timeZone: String, scenario: String, target: String,
        seed: UInt64, arrivals: ArrivalProcess, peakRate: Double, speed: Double, window: String,
        plannedSeconds: Double, actualSeconds: Double, startedAt: String, workers: Int, maxShoppers: Int,
        connections: Int, interrupted: Bool
    ) {
        self.id = id
        self.profile = profile
        self.profileTitle = profileTitle
        self.timeZone = timeZone
        self.scenario = scenario
        self.target = target
        self.seed = seed
        self.arrivals = arrivals
        self.peakRate = peakRate
        self.speed = speed
        self.window = window
        self.plannedSeconds = plannedSeconds
        self.actualSeconds = actualSeconds
        self.startedAt = startedAt
        self.workers = workers
        self.maxShoppers = maxShoppers
        self.connections = connections
        self.interrupted = interrupted
    }
}

public struct Totals: Codable, Sendable, Equatable {
    /// Λ over the run: the arrivals the plan expects on average.
    public var expected: Double
    public var shoppers: ArrivalCounts
    public var requests: RequestCounts
    public var corrected: LatencySummary
    public var uncorrected: LatencySummary
}

public struct StepSummary: Codable, Sendable, Equatable {
    public var flow: String
    public var step: String
    public var requests: RequestCounts
    public var corrected: LatencySummary
    public var uncorrected: LatencySummary
}

/// One row per hour (or stage) of the profile.
public struct PeriodSummary: Codable, Sendable, Equatable {
    public var index: Int
    public var label: String
    public var expected: Double
    public var shoppers: ArrivalCounts
    public var requests: RequestCounts
    public var corrected: LatencySummary
    public var uncorrected: LatencySummary
}

/// A spike against the rest of its hour: the spike is visible when its achieved rate stands above the base rate.
public struct SpikeSummary: Codable, Sendable, Equatable {
    public var label: String
    /// Profile clock of the spike's start ("10:00").
    public var at: String
    public var realSeconds: Double
    public var expected: Double
    public var shoppers: ArrivalCounts
    /// Arrivals started per real second inside the spike.
    public var achievedRate: Double
    /// Arrivals started per real second in the rest of the same period.
    public var baseRate: Double
    public var corrected: LatencySummary
}

/// One second of the run.
public struct TimelinePoint: Codable, Sendable, Equatable {
    public var second: Int
    /// The profile clock at the start of the second.
    public var clock: String
    /// Λ over the second.
    public var expected: Double
    public var shoppers: ArrivalCounts
    public var requests: RequestCounts
    public var inFlight: Int
    public var corrected: LatencySummary
    public var uncorrected: LatencySummary
}
