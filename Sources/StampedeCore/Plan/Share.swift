/// The part of a plan's arrivals that one worker sends.
///
/// Every arrival has an index (0, 1, 2, …) in the plan's one global sequence. Its *key* is the index times
/// 2⁶⁴/φ (mod 2⁶⁴), a low-discrepancy walk around the 64-bit circle; a share owns the arrivals whose key falls
/// in its ranges. Shares cut from one partition of the circle own every arrival exactly once, interleaved
/// evenly over time, and each worker finds its own arrivals with no coordination.
public struct Share: Codable, Sendable, Hashable {
    /// Closed ranges of keys.
    public var ranges: [ClosedRange<UInt64>]

    public init(ranges: [ClosedRange<UInt64>]) {
        self.ranges = ranges
    }

    public static let whole = Share(ranges: [0...UInt64.max])
    public static let empty = Share(ranges: [])

    @inlinable
    public static func key(ofArrival index: UInt64) -> UInt64 {
        index &* 0x9E37_79B9_7F4A_7C15
    }

    @inlinable
    public func owns(arrival index: UInt64) -> Bool {
        let key = Self.key(ofArrival: index)
        for range in ranges where range.contains(key) { return true }
        return false
    }

    /// The fraction of all arrivals this share owns.
    public var fraction: Double {
        ranges.reduce(0.0) { $0 + (Double($1.upperBound - $1.lowerBound) + 1) / 18_446_744_073_709_551_616.0 }
    }

    /// Splits this share into parts proportional to `weights` (all ≥ 0, at least one > 0). The parts are disjoint
    /// and together own exactly what this share owns.
    public func split(weights: [UInt64]) -> [Share] {
        let total = weights.reduce(UInt64(0), +)
        precondition(total > 0, "at least one weight must be above zero")
        var parts = Array(repeating: Share.empty, count: weights.count)
        for range in ranges {
            // The length minus one, so that the whole circle (2⁶⁴ keys) fits.
            let span = range.upperBound - range.lowerBound
            var cumulative: UInt64 = 0
            var next: UInt64 = 0  // the first offset (from range.lowerBound) not yet given out
            var exhausted = false
            for (index, weight) in weights.enumerated() {
                cumulative += weight
                guard weight > 0, !exhausted else { continue }
                let last: UInt64
                if cumulative == total {
                    last = span
                } else {
                    // ⌊(span + 1) × cumulative / total⌋, below span + 1, so it fits; 128-bit intermediate.
                    let product = span.multipliedFullWidth(by: cumulative)
                    let (low, carry) = product.low.addingReportingOverflow(cumulative)
                    let end = total.dividingFullWidth((high: product.high &+ (carry ? 1 : 0), low: low)).quotient
                    guard end > next else { continue }
                    last = end - 1
                }
                parts[index].ranges.append((range.lowerBound + next)...(range.lowerBound + last))
                if last == span { exhausted = true } else { next = last + 1 }
            }
        }
        return parts
    }

    /// Splits the whole plan into `count` equal shares.
    public static func equalShares(_ count: Int) -> [Share] {
        Share.whole.split(weights: Array(repeating: 1, count: count))
    }

    /// This share together with another (disjoint) one.
    public func merged(with other: Share) -> Share {
        Share(ranges: (ranges + other.ranges).sorted { $0.lowerBound < $1.lowerBound })
    }
}
