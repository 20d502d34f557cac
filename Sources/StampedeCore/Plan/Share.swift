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
    /// and together own exactly what this share owns. The share's keys are cut as one sequence (its ranges one
    /// after another), so each part gets a run of whole ranges plus at most two pieces: a share handed on many
    /// times stays a few ranges, not one piece of every range for every heir.
    public func split(weights: [UInt64]) -> [Share] {
        let total = weights.reduce(UInt64(0), +)
        precondition(total > 0, "at least one weight must be above zero")
        // Sizes in 128 bits: the whole circle has 2⁶⁴ keys.
        let size = ranges.reduce(UInt128(0)) { $0 + UInt128($1.upperBound - $1.lowerBound) + 1 }
        var parts = Array(repeating: Share.empty, count: weights.count)
        var range = 0
        var taken: UInt128 = 0  // keys of ranges[range] already given out
        var given: UInt128 = 0
        var cumulative: UInt64 = 0
        for (index, weight) in weights.enumerated() {
            cumulative += weight
            // Part `index` ends at ⌊size × cumulative / total⌋ (size ≤ 2⁶⁴, so the product fits).
            var wanted = size * UInt128(cumulative) / UInt128(total) - given
            while wanted > 0 {
                let current = ranges[range]
                let length = UInt128(current.upperBound - current.lowerBound) + 1
                let piece = min(wanted, length - taken)
                parts[index].ranges.append(
                    (current.lowerBound + UInt64(taken))...(current.lowerBound + UInt64(taken + piece - 1)))
                wanted -= piece
                given += piece
                taken += piece
                if taken == length {
                    range += 1
                    taken = 0
                }
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
        var merged: [ClosedRange<UInt64>] = []
        merged.reserveCapacity(ranges.count + other.ranges.count)
        // Neighbours join into one range, so a share handed on many times does not splinter.
        for range in (ranges + other.ranges).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = merged.last, last.upperBound != .max, last.upperBound + 1 == range.lowerBound {
                merged[merged.count - 1] = last.lowerBound...range.upperBound
            } else {
                merged.append(range)
            }
        }
        return Share(ranges: merged)
    }
}
