/// What a run's charts draw beyond ``RunReport``: each step's latency over time in at most ``maxPoints`` points
/// (histograms merged over each point's seconds, never percentiles averaged), each burst's confirmations as they
/// came, and the seconds each worker reported.
public struct RunSeries: Codable, Sendable, Equatable {
    /// The most points a step's series has: a 24 h run gets one point per 87 s, a demo one per second.
    public static let maxPoints = 1_000

    /// Real seconds per point of ``steps``.
    public var stride: Int
    public var steps: [StepSeries]
    public var bursts: [BurstSeries]
    public var workers: [WorkerSpan]

    public init(stride: Int, steps: [StepSeries], bursts: [BurstSeries], workers: [WorkerSpan]) {
        self.stride = stride
        self.steps = steps
        self.bursts = bursts
        self.workers = workers
    }

    /// The seconds per point for a run of this many real seconds.
    public static func stride(forSeconds seconds: Double) -> Int {
        max(1, Int((seconds / Double(maxPoints)).rounded(.up)))
    }

    public struct StepSeries: Codable, Sendable, Equatable {
        public var flow: String
        public var step: String
        public var points: [StepPoint]

        public init(flow: String, step: String, points: [StepPoint]) {
            self.flow = flow
            self.step = step
            self.points = points
        }
    }

    /// Requests of one step completed in [second, second + stride).
    public struct StepPoint: Codable, Sendable, Equatable {
        public var second: Int
        public var requests: Int
        public var failed: Int
        public var corrected: LatencySummary
        public var uncorrected: LatencySummary

        public init(second: Int, requests: Int, failed: Int, corrected: LatencySummary, uncorrected: LatencySummary) {
            self.second = second
            self.requests = requests
            self.failed = failed
            self.corrected = corrected
            self.uncorrected = uncorrected
        }
    }

    /// A flash sale's crowd in real time: when it came, and each confirmation (seconds since the run's start,
    /// ascending) against the stock.
    public struct BurstSeries: Codable, Sendable, Equatable {
        public var label: String
        public var sku: String
        public var stock: Int
        public var start: Double
        public var within: Double
        public var confirmedAt: [Double]

        public init(label: String, sku: String, stock: Int, start: Double, within: Double, confirmedAt: [Double]) {
            self.label = label
            self.sku = sku
            self.stock = stock
            self.start = start
            self.within = within
            self.confirmedAt = confirmedAt
        }
    }

    /// The first and the last second a worker reported.
    public struct WorkerSpan: Codable, Sendable, Equatable {
        public var name: String
        public var first: Int
        public var last: Int

        public init(name: String, first: Int, last: Int) {
            self.name = name
            self.first = first
            self.last = last
        }
    }
}
