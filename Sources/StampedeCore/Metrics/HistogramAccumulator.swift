/// Sums sparse histograms bucket by bucket: cheap to keep many of (one per slot, per second) and exact, since
/// every histogram shares ``LatencyHistogram``'s layout.
public struct HistogramAccumulator: Sendable, Equatable {
    private var buckets: [UInt64: UInt64] = [:]

    public init() {}

    public mutating func add(_ sparse: SparseHistogram) {
        for (value, count) in zip(sparse.values, sparse.counts) { buckets[value, default: 0] &+= count }
    }

    public mutating func add(_ other: HistogramAccumulator) {
        buckets.merge(other.buckets, uniquingKeysWith: &+)
    }

    public var isEmpty: Bool { buckets.isEmpty }

    public var sparse: SparseHistogram {
        let sorted = buckets.sorted { $0.key < $1.key }
        return SparseHistogram(values: sorted.map(\.key), counts: sorted.map(\.value))
    }

    public var histogram: LatencyHistogram { LatencyHistogram(sparse) }

    public var summary: LatencySummary { sparse.summary }

    /// The value at one percentile of a sparse histogram (the top of its bucket).
    public static func percentile(_ percentile: Double, of sparse: SparseHistogram) -> UInt64 {
        let target = HistogramLayout.countAt(percentile: percentile, total: sparse.totalCount)
        var running: UInt64 = 0
        for (value, count) in zip(sparse.values, sparse.counts) {
            running &+= count
            if running >= target { return HistogramLayout.highestEquivalent(value) }
        }
        return sparse.values.last.map(HistogramLayout.highestEquivalent) ?? 0
    }
}
