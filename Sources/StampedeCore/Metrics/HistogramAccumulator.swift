/// Sums sparse histograms bucket by bucket: cheap to keep many of (one per slot, per second) and exact, since
/// every histogram shares ``LatencyHistogram``'s layout. Kept as a sparse histogram (values ascending), so adding
/// one is a merge of two sorted lists — no hashing, no sorting — which is what the coordinator does a thousand
/// times a second per step.
public struct HistogramAccumulator: Sendable, Equatable {
    private var values: [UInt64] = []
    private var counts: [UInt64] = []

    public init() {}

    /// Adds a sparse histogram (values strictly ascending, as every ``SparseHistogram`` is once checked).
    public mutating func add(_ sparse: SparseHistogram) {
        add(values: sparse.values, counts: sparse.counts)
    }

    public mutating func add(_ other: HistogramAccumulator) {
        add(values: other.values, counts: other.counts)
    }

    private mutating func add(values addedValues: [UInt64], counts addedCounts: [UInt64]) {
        guard !addedValues.isEmpty else { return }
        if values.isEmpty {
            values = addedValues
            counts = addedCounts
            return
        }
        withUnsafeTemporaryAllocation(of: Int.self, capacity: addedValues.count) { positions in
            // Where each added value belongs, found by galloping on from the previous one: O(m log(n/m)) for m
            // added buckets among n, not a walk over all n (a run's histogram has thousands of buckets).
            var missing = 0
            values.withUnsafeBufferPointer { known in
                var from = 0
                for (k, value) in addedValues.enumerated() {
                    from = Self.firstIndex(notBelow: value, in: known, from: from)
                    positions[k] = from
                    if from == known.count || known[from] != value { missing += 1 }
                }
            }
            if missing == 0 {
                // Every added value already a bucket here (the common case once a step has run a while).
                counts.withUnsafeMutableBufferPointer { counts in
                    for k in addedValues.indices { counts[positions[k]] &+= addedCounts[k] }
                }
                return
            }
            insert(addedValues, addedCounts, missing: missing)
        }
    }

    /// Merges from the back, in place: the arrays grow by the new buckets and each entry moves at most once.
    private mutating func insert(_ addedValues: [UInt64], _ addedCounts: [UInt64], missing: Int) {
        var read = values.count - 1
        values.append(contentsOf: repeatElement(0, count: missing))
        counts.append(contentsOf: repeatElement(0, count: missing))
        var write = values.count - 1
        var added = addedValues.count - 1
        while added >= 0 {
            if read >= 0 && values[read] >= addedValues[added] {
                let same = values[read] == addedValues[added]
                values[write] = values[read]
                counts[write] = counts[read] &+ (same ? addedCounts[added] : 0)
                read -= 1
                if same { added -= 1 }
            } else {
                values[write] = addedValues[added]
                counts[write] = addedCounts[added]
                added -= 1
            }
            write -= 1
        }
    }

    /// The first position at or after `from` whose value is not below `value` (`values.count` when none is).
    private static func firstIndex(notBelow value: UInt64, in values: UnsafeBufferPointer<UInt64>, from: Int) -> Int {
        var low = from
        var high = from
        var step = 1
        while high < values.count && values[high] < value {
            low = high + 1
            high = from + step
            step <<= 1
        }
        high = min(high, values.count)
        while low < high {
            let middle = (low + high) / 2
            if values[middle] < value { low = middle + 1 } else { high = middle }
        }
        return low
    }

    public var isEmpty: Bool { values.isEmpty }

    public var sparse: SparseHistogram { SparseHistogram(values: values, counts: counts) }

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
