/// An instant on the continuous clock (`ContinuousClock`), held as whole nanoseconds from a fixed instant of this
/// process: what the shopper path stores (when a request was meant to start, sent, answered).
///
/// Why not `ContinuousClock.Instant` itself: it is not frozen, so outside the standard library its size is unknown
/// when compiling. Every struct or enum that holds one (a response, a shopper's progress, a result holding a
/// response) is then handled through its type's metadata, a copy being a call, and in an async function each such
/// value is allocated from the task's allocator. With it, a one-step shopper's worker made 37 task allocations a
/// request, 16 without (docs/http.md). This is an `Int64`, and the compiler knows it.
public struct ContinuousInstant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Nanoseconds from ``origin``; negative before it.
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    /// The continuous-clock instant, converted.
    public init(_ instant: ContinuousClock.Instant) {
        nanoseconds = Self.origin.duration(to: instant).wholeNanoseconds
    }

    public static var now: ContinuousInstant { ContinuousInstant(.now) }

    /// The same instant on the continuous clock (to sleep until it).
    public var continuous: ContinuousClock.Instant {
        Self.origin.advanced(by: .nanoseconds(nanoseconds))
    }

    public static func + (lhs: ContinuousInstant, rhs: Duration) -> ContinuousInstant {
        ContinuousInstant(nanoseconds: lhs.nanoseconds + rhs.wholeNanoseconds)
    }

    public static func - (lhs: ContinuousInstant, rhs: Duration) -> ContinuousInstant {
        ContinuousInstant(nanoseconds: lhs.nanoseconds - rhs.wholeNanoseconds)
    }

    /// The time from `rhs` to `lhs`.
    public static func - (lhs: ContinuousInstant, rhs: ContinuousInstant) -> Duration {
        .nanoseconds(lhs.nanoseconds - rhs.nanoseconds)
    }

    public static func < (lhs: ContinuousInstant, rhs: ContinuousInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public var description: String { "\(nanoseconds) ns" }

    /// Read once, the first time any instant is made or converted.
    private static let origin = ContinuousClock.now
}
