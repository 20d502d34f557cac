/// The machine-readable result of a run (`report.json`): every other report is rendered from it.
public struct RunReport: Codable, Sendable, Equatable {
    public var format = "stampede.report/1"
    public var run: RunInfo
    public var totals: Totals
    public var steps: [StepSummary]
    public var periods: [PeriodSummary]
    public var spikes: [SpikeSummary]
    public var timeline: [TimelinePoint]
    public var workers: [WorkerSummary]
    /// Arrivals that were never sent because a worker was lost, until its share went to the survivors.
    public var gaps: [GapSummary]
    /// The oversell verdict per SKU the shoppers ordered.
    public var inventory: [InventoryVerdict]
    /// Flash sales: each crowd against its stock.
    public var bursts: [BurstSummary]
    /// The target's books as read before, during and after the run.
    public var books: [InventoryBooks]
    /// The payment-failover drill's verdict, when the run was a drill.
    public var payments: PaymentVerdict?
    /// What this report could not know (a run rebuilt from a directory whose coordinator stopped early).
    public var unknowns: [String]?
    /// The first failure of each kind per step, with what it was about.
    public var errorSamples: [ErrorSampleSummary]?
    /// How each threshold came out.
    public var thresholds: [ThresholdResult]?

    public init(
        run: RunInfo, totals: Totals, steps: [StepSummary], periods: [PeriodSummary], spikes: [SpikeSummary],
        timeline: [TimelinePoint], workers: [WorkerSummary] = [], gaps: [GapSummary] = [],
        inventory: [InventoryVerdict] = [], bursts: [BurstSummary] = [], books: [InventoryBooks] = [],
        payments: PaymentVerdict? = nil, unknowns: [String]? = nil, errorSamples: [ErrorSampleSummary]? = nil,
        thresholds: [ThresholdResult]? = nil
    ) {
        self.thresholds = thresholds
        self.unknowns = unknowns
        self.errorSamples = errorSamples
        self.run = run
        self.totals = totals
        self.steps = steps
        self.periods = periods
        self.spikes = spikes
        self.timeline = timeline
        self.workers = workers
        self.gaps = gaps
        self.inventory = inventory
        self.bursts = bursts
        self.books = books
        self.payments = payments
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
    /// Why it was stopped, when it was.
    public var stopReason: String?
    /// The shared start instant on the coordinator machine's monotonic clock (nanoseconds), to line the run up with
    /// other logs from that machine.
    public var startMonotonicNanos: Int64?

    public init(
        id: String, profile: String, profileTitle: String, timeZone: String, scenario: String, target: String,
        seed: UInt64, arrivals: ArrivalProcess, peakRate: Double, speed: Double, window: String,
        plannedSeconds: Double, actualSeconds: Double, startedAt: String, workers: Int, maxShoppers: Int,
        connections: Int, interrupted: Bool, startMonotonicNanos: Int64? = nil
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
        self.startMonotonicNanos = startMonotonicNanos
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
    /// Shoppers going when the second closed.
    public var inFlight: Int
    /// Arrivals due and held by the workers when the second closed, waiting for a connection (``IntervalReport``).
    public var waiting: Int
    public var corrected: LatencySummary
    public var uncorrected: LatencySummary
}

/// One worker's part of the run.
public struct WorkerSummary: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Sent its last interval and said it finished.
        case finished
        /// Went silent or disconnected; its share went to the others.
        case lost
        /// Still reporting when the report was made.
        case active
    }

    public var name: String
    public var status: Status
    public var intervals: Int
    public var shoppers: ArrivalCounts

    public init(name: String, status: Status, intervals: Int, shoppers: ArrivalCounts) {
        self.name = name
        self.status = status
        self.intervals = intervals
        self.shoppers = shoppers
    }
}

/// A lost worker's gap: from the end of its last interval until its share was handed over.
public struct GapSummary: Codable, Sendable, Equatable {
    public var worker: String
    /// Run seconds when the coordinator declared the worker lost.
    public var lostAt: Double
    /// Run seconds [from, to): arrivals due in this window of the lost share were not sent.
    public var from: Double
    public var to: Double
    /// The fraction of all arrivals the lost worker owned.
    public var share: Double
    public var plannedNotSent: Int
    /// Shoppers the worker had started and never reported ending (counted as failed, worker_lost).
    public var unfinishedShoppers: Int

    public init(
        worker: String, lostAt: Double, from: Double, to: Double, share: Double, plannedNotSent: Int,
        unfinishedShoppers: Int = 0
    ) {
        self.worker = worker
        self.lostAt = lostAt
        self.from = from
        self.to = to
        self.share = share
        self.plannedNotSent = plannedNotSent
        self.unfinishedShoppers = unfinishedShoppers
    }
}

/// A flash-sale crowd against its stock.
public struct BurstSummary: Codable, Sendable, Equatable {
    public var label: String
    /// Profile clock of the burst ("10:00").
    public var at: String
    public var sku: String
    public var crowd: Int
    public var stock: Int
    public var shoppers: ArrivalCounts
    public var requests: RequestCounts
    /// Orders confirmed for the SKU, against the stock.
    public var confirmations: Int
    public var soldOutTold: Int
    /// Seconds from the burst's start to the confirmation that used up the stock; nil if it never sold out.
    public var timeToSellOut: Double?
    /// p99 (and more) of the crowd's requests.
    public var corrected: LatencySummary

    public init(
        label: String, at: String, sku: String, crowd: Int, stock: Int, shoppers: ArrivalCounts,
        requests: RequestCounts,
        confirmations: Int, soldOutTold: Int, timeToSellOut: Double?, corrected: LatencySummary
    ) {
        self.label = label
        self.at = at
        self.sku = sku
        self.crowd = crowd
        self.stock = stock
        self.shoppers = shoppers
        self.requests = requests
        self.confirmations = confirmations
        self.soldOutTold = soldOutTold
        self.timeToSellOut = timeToSellOut
        self.corrected = corrected
    }
}
