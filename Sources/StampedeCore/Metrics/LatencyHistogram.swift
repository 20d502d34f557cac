public import Histogram

/// Latencies in microseconds, from 1 µs to 60 s at three significant digits: one layout everywhere, so any two
/// histograms merge exactly.
public struct LatencyHistogram: Sendable {
    public static let highestMicroseconds: UInt64 = 60_000_000

    @usableFromInline
    var histogram: Histogram<UInt64>

    public init() {
        histogram = Histogram(
            lowestDiscernibleValue: 1, highestTrackableValue: Self.highestMicroseconds,
            numberOfSignificantValueDigits: .three)
    }

    /// Records one latency; values beyond 60 s count as 60 s.
    @inlinable
    public mutating func record(microseconds: UInt64) {
        _ = histogram.record(Swift.min(microseconds, Self.highestMicroseconds))
    }

    @inlinable
    public mutating func record(microseconds: UInt64, count: UInt64) {
        _ = histogram.record(Swift.min(microseconds, Self.highestMicroseconds), count: count)
    }

    /// Records a latency given in seconds (negative values count as 0).
    @inlinable
    public mutating func record(seconds: Double) {
        record(microseconds: seconds > 0 ? UInt64(Swift.min(seconds * 1e6, 1e12).rounded()) : 0)
    }

    public mutating func merge(_ other: LatencyHistogram) {
        histogram.add(other.histogram)
    }

    public mutating func merge(_ sparse: SparseHistogram) {
        for (value, count) in zip(sparse.values, sparse.counts) { record(microseconds: value, count: count) }
    }

    public mutating func reset() { histogram.reset() }

    public var count: UInt64 { histogram.totalCount }
    public var isEmpty: Bool { histogram.totalCount == 0 }

    /// The value at a percentile (0–100), in microseconds; 0 when empty. Always the top of its bucket (never the
    /// exact maximum, which a histogram rebuilt from buckets cannot know), so a histogram and its sparse copy
    /// report the same figures.
    public func microseconds(atPercentile percentile: Double) -> UInt64 {
        isEmpty ? 0 : histogram.highestEquivalentForValue(histogram.valueAtPercentile(percentile))
    }

    public var maxMicroseconds: UInt64 { isEmpty ? 0 : histogram.max }

    public var summary: LatencySummary {
        LatencySummary(
            count: count,
            p50: Self.milliseconds(microseconds(atPercentile: 50)),
            p90: Self.milliseconds(microseconds(atPercentile: 90)),
            p99: Self.milliseconds(microseconds(atPercentile: 99)),
            p999: Self.milliseconds(microseconds(atPercentile: 99.9)),
            max: Self.milliseconds(maxMicroseconds),
            mean: isEmpty ? 0 : histogram.mean / 1000)
    }

    /// The recorded buckets, for transport: each value is its bucket's highest equivalent value, so recording the
    /// pairs again rebuilds the same histogram.
    public var sparse: SparseHistogram {
        var values: [UInt64] = []
        var counts: [UInt64] = []
        for bucket in histogram.recordedValues() {
            values.append(bucket.value)
            counts.append(bucket.count)
        }
        return SparseHistogram(values: values, counts: counts)
    }

    public init(_ sparse: SparseHistogram) {
        self.init()
        merge(sparse)
    }

    static func milliseconds(_ microseconds: UInt64) -> Double { Double(microseconds) / 1000 }
}

/// A histogram as (value, count) pairs, ascending by value: what travels in interval reports and sits on disk.
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
            guard value <= LatencyHistogram.highestMicroseconds else {
                return "expected values up to \(LatencyHistogram.highestMicroseconds) µs, found \(value)"
            }
            if let previous, value <= previous { return "expected values in ascending order, found \(value) after \(previous)" }
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
