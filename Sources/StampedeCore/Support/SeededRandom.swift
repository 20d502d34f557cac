import Foundation

/// A small, fast, seedable random number generator (SplitMix64).
///
/// Runs must be repeatable: the same seed gives the same arrivals and the same shoppers, whichever worker
/// runs them. `SeededRandom(seed:stream:)` derives an independent generator per purpose (the arrival
/// process, shopper 17, ...) so that splitting a plan across workers never changes what any shopper does.
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) {
        self.state = seed
    }

    /// A generator for one stream of a run (for example one shopper), independent of the others.
    public init(seed: UInt64, stream: UInt64) {
        var mixer = SeededRandom(seed: seed ^ 0x5851_F42D_4C95_7F2D)
        for _ in 0..<2 { _ = mixer.next() }
        self.state = mixer.next() &+ Self.mix(stream &+ 0x9E37_79B9_7F4A_7C15)
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return Self.mix(state)
    }

    /// A uniform double in [0, 1).
    public mutating func nextUnit() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// An exponentially distributed value with mean 1.
    public mutating func nextExponential() -> Double {
        // 1 - u is in (0, 1], so the logarithm is finite.
        -Foundation.log(1.0 - nextUnit())
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
