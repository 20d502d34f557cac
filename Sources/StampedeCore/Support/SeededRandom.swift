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

    /// A Poisson-distributed count with the given mean (≥ 0): how many arrivals of a Poisson process fall where
    /// `mean` are expected. Below 10 by counting uniforms until their product drops under e^−mean (about mean + 1
    /// draws); from 10 on by Hörmann's transformed rejection with squeeze (PTRS, 1993), a few draws whatever the
    /// mean, exact for any mean a double holds.
    public mutating func nextPoisson(mean: Double) -> Int {
        guard mean > 0 else { return 0 }
        if mean < 10 {
            let floor = Foundation.exp(-mean)
            var count = 0
            var product = nextUnit()
            while product > floor {
                count += 1
                product *= nextUnit()
            }
            return count
        }
        let root = mean.squareRoot()
        let logMean = Foundation.log(mean)
        let b = 0.931 + 2.53 * root
        let a = -0.059 + 0.02483 * b
        let inverseAlpha = 1.1239 + 1.1328 / (b - 3.4)
        let acceptAtOnce = 0.9277 - 3.6224 / (b - 2)
        while true {
            let u = nextUnit() - 0.5
            let v = nextUnit()
            let fromEdge = 0.5 - abs(u)
            let k = ((2 * a / fromEdge + b) * u + mean + 0.43).rounded(.down)
            if fromEdge >= 0.07 && v <= acceptAtOnce { return Int(k) }
            if k < 0 || (fromEdge < 0.013 && v > fromEdge) { continue }
            let lhs = Foundation.log(v * inverseAlpha / (a / (fromEdge * fromEdge) + b))
            if lhs <= -mean + k * logMean - Foundation.lgamma(k + 1) { return Int(k) }
        }
    }

    private static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
