/// Latencies in microseconds, from 1 µs to 60 s at three significant digits, in HdrHistogram's layout
/// (``HistogramLayout``): one layout everywhere, so any two histograms merge exactly. A flat array of counts:
/// recording is an index computation and an add; extracting the recorded buckets is one pass.
public struct LatencyHistogram: Sendable, Equatable {
    public static let highestMicroseconds = HistogramLayout.highestTrackable

    @usableFromInline
    var counts: [UInt64]
    @usableFromInline var total: UInt64 = 0
    public var count: UInt64 { total }
    /// The lowest and highest index counted, to keep passes short.
    @usableFromInline var lowestIndex = Int.max
    @usableFromInline var highestIndex = -1

    public init() {
        counts = Array(repeating: 0, count: HistogramLayout.countsLength)
    }

    /// Records one latency; values beyond 60 s count as 60 s.
    @inlinable
    public mutating func record(microseconds: UInt64, count: UInt64 = 1) {
        let index = HistogramLayout.index(of: Swift.min(microseconds, Self.highestMicroseconds))
        counts[index] &+= count
        total &+= count
        if index < lowestIndex { lowestIndex = index }
        if index > highestIndex { highestIndex = index }
    }

    /// Records a latency given in seconds (negative values count as 0).
    @inlinable
    public mutating func record(seconds: Double) {
        record(microseconds: seconds > 0 ? UInt64(Swift.min(seconds * 1e6, 1e12).rounded()) : 0)
    }

    public mutating func merge(_ other: LatencyHistogram) {
        guard !other.isEmpty else { return }
        for index in other.lowestIndex...other.highestIndex where other.counts[index] > 0 {
            counts[index] &+= other.counts[index]
        }
        total &+= other.total
        lowestIndex = Swift.min(lowestIndex, other.lowestIndex)
        highestIndex = Swift.max(highestIndex, other.highestIndex)
    }

    public mutating func merge(_ sparse: SparseHistogram) {
        for (value, count) in zip(sparse.values, sparse.counts) { record(microseconds: value, count: count) }
    }

    /// Empties the histogram, keeping its memory.
    public mutating func reset() {
        guard !isEmpty else { return }
        for index in lowestIndex...highestIndex { counts[index] = 0 }
        total = 0
        lowestIndex = .max
        highestIndex = -1
    }

    public var isEmpty: Bool { count == 0 }

    /// The recorded buckets, each as the top of its bucket with its count: what travels and what is stored.
    public var sparse: SparseHistogram {
        guard !isEmpty else { return SparseHistogram() }
        var values: [UInt64] = []
        var counts: [UInt64] = []
        for index in lowestIndex...highestIndex where self.counts[index] > 0 {
            values.append(HistogramLayout.highestEquivalent(HistogramLayout.lowestValue(at: index)))
            counts.append(self.counts[index])
        }
        return SparseHistogram(values: values, counts: counts)
    }

    public init(_ sparse: SparseHistogram) {
        self.init()
        merge(sparse)
    }

    /// The value at a percentile (0–100), in microseconds: the top of the bucket the percentile falls in; 0 when
    /// empty.
    public func microseconds(atPercentile percentile: Double) -> UInt64 {
        guard !isEmpty else { return 0 }
        let target = HistogramLayout.countAt(percentile: percentile, total: count)
        var running: UInt64 = 0
        for index in lowestIndex...highestIndex {
            running &+= counts[index]
            if running >= target { return HistogramLayout.highestEquivalent(HistogramLayout.lowestValue(at: index)) }
        }
        return maxMicroseconds
    }

    public var maxMicroseconds: UInt64 {
        isEmpty ? 0 : HistogramLayout.highestEquivalent(HistogramLayout.lowestValue(at: highestIndex))
    }

    public var summary: LatencySummary { sparse.summary }
}

/// A histogram as (value, count) pairs, ascending by value, each value the top of its bucket: what travels in
/// interval reports and sits on disk. Percentiles come straight from the pairs.
public struct SparseHistogram: Codable, Sendable, Equatable {
    /// Microseconds, strictly ascending.
    public var values: [UInt64]
    public var counts: [UInt64]

    public init(values: [UInt64] = [], counts: [UInt64] = []) {
        self.values = values
        self.counts = counts
    }

    public var totalCount: UInt64 { counts.reduce(0, &+) }
    public var isEmpty: Bool { values.isEmpty }

    /// p50, p90, p99, p99.9, max (milliseconds) and the mean (of bucket midpoints), as HdrHistogram computes them.
    public var summary: LatencySummary {
        let total = totalCount
        guard total > 0 else { return .empty }
        let targets = [50.0, 90, 99, 99.9].map { HistogramLayout.countAt(percentile: $0, total: total) }
        var results = [UInt64](repeating: 0, count: targets.count)
        var next = 0
        var running: UInt64 = 0
        var weighted = 0.0
        for (value, count) in zip(values, counts) {
            running &+= count
            weighted += Double(HistogramLayout.medianEquivalent(value)) * Double(count)
            while next < targets.count && running >= targets[next] {
                results[next] = HistogramLayout.highestEquivalent(value)
                next += 1
            }
        }
        let milliseconds = { (microseconds: UInt64) in Double(microseconds) / 1000 }
        return LatencySummary(
            count: total, p50: milliseconds(results[0]), p90: milliseconds(results[1]), p99: milliseconds(results[2]),
            p999: milliseconds(results[3]), max: milliseconds(HistogramLayout.highestEquivalent(values.last!)),
            mean: weighted / Double(total) / 1000)
    }

    enum CodingKeys: String, CodingKey {
        case values = "v"
        case counts = "c"
    }

    /// Decoding checks the shape, so a corrupt or hostile report cannot poison a merge.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let values = try container.decode([UInt64].self, forKey: .values)
        let counts = try container.decode([UInt64].self, forKey: .counts)
        if let problem = Self.problem(values: values, counts: counts) {
            throw DecodingError.dataCorruptedError(forKey: .values, in: container, debugDescription: problem)
        }
        self.init(values: values, counts: counts)
    }

    /// What is wrong with these pairs, or nil when they are a valid histogram.
    public static func problem(values: [UInt64], counts: [UInt64]) -> String? {
        guard values.count == counts.count else {
            return "expected as many counts as values, found \(counts.count) counts for \(values.count) values"
        }
        var previous: UInt64? = nil
        var total: UInt64 = 0
        for (value, count) in zip(values, counts) {
            guard value <= HistogramLayout.highestEquivalent(LatencyHistogram.highestMicroseconds) else {
                return "expected values up to \(LatencyHistogram.highestMicroseconds) µs, found \(value)"
            }
            if let previous, value <= previous {
                return "expected values in ascending order, found \(value) after \(previous)"
            }
            guard count > 0 else { return "expected counts above 0, found 0 for value \(value)" }
            let (sum, overflow) = total.addingReportingOverflow(count)
            guard !overflow else { return "the counts overflow" }
            total = sum
            previous = value
        }
        return nil
    }
}

/// Percentiles of a latency histogram, in milliseconds.
public struct LatencySummary: Codable, Sendable, Equatable {
    public var count: UInt64
    public var p50: Double
    public var p90: Double
    public var p99: Double
    public var p999: Double
    public var max: Double
    public var mean: Double

    public init(count: UInt64, p50: Double, p90: Double, p99: Double, p999: Double, max: Double, mean: Double) {
        self.count = count
        self.p50 = p50
        self.p90 = p90
        self.p99 = p99
        self.p999 = p999
        self.max = max
        self.mean = mean
    }

    public static let empty = LatencySummary(count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0, mean: 0)
}
