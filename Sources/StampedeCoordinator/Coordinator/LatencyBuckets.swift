import StampedeCore

/// A step's latencies as a Prometheus histogram: cumulative counts at fixed bounds, from the workers' sparse
/// histograms (each recorded value counted in the first bucket at or above it), with the sum and the count.
struct LatencyBuckets: Sendable, Equatable {
    /// Upper bounds in seconds: 1 ms to 10 s, about three per decade.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Counts per bound (not cumulative), then those above the last bound.
    private(set) var counts = [UInt64](repeating: 0, count: bounds.count + 1)
    private(set) var sumSeconds = 0.0
    private(set) var total: UInt64 = 0

    mutating func add(_ sparse: SparseHistogram) {
        var bucket = 0
        for (micros, count) in zip(sparse.values, sparse.counts) {
            let seconds = Double(micros) / 1e6
            while bucket < Self.bounds.count, seconds > Self.bounds[bucket] { bucket += 1 }
            counts[bucket] += count
            sumSeconds += seconds * Double(count)
            total += count
        }
    }

    /// The text exposition lines: `_bucket` per bound and `+Inf`, `_sum`, `_count`.
    func exposition(name: String, labels: String) -> String {
        var text = ""
        var cumulative: UInt64 = 0
        for (index, bound) in Self.bounds.enumerated() {
            cumulative += counts[index]
            text += "\(name)_bucket{\(labels),le=\"\(bound)\"} \(cumulative)\n"
        }
        text += "\(name)_bucket{\(labels),le=\"+Inf\"} \(total)\n"
        text += "\(name)_sum{\(labels)} \(sumSeconds)\n"
        text += "\(name)_count{\(labels)} \(total)\n"
        return text
    }
}
