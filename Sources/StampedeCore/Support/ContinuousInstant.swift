#if canImport(Glibc)
import Glibc
#endif

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

    /// Read from the system clock the continuous clock reads (on Linux `CLOCK_BOOTTIME`, counted from
    /// `systemEpoch`), straight into nanoseconds: through `ContinuousClock.now` it was a `Duration` of 128-bit
    /// attoseconds divided back down, half the cost of the read (docs/http.md). Several are read a request.
    public static var now: ContinuousInstant {
        #if os(Linux)
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return ContinuousInstant(
            nanoseconds: Int64(time.tv_sec) &* 1_000_000_000 &+ Int64(time.tv_nsec) &- Self.originSinceEpoch)
        #else
        return ContinuousInstant(.now)
        #endif
    }

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

    /// Microseconds from `earlier` to this instant, rounded, never negative: `(self - earlier).microseconds` in
    /// integers (through a `Duration` it was 128-bit arithmetic and a `Double`, three times a request).
    public func microseconds(since earlier: ContinuousInstant) -> UInt64 {
        let elapsed = nanoseconds &- earlier.nanoseconds
        return elapsed <= 0 ? 0 : min(UInt64(elapsed / 1_000 + (elapsed % 1_000 >= 500 ? 1 : 0)), 1_000_000_000_000_000)
    }

    public static func < (lhs: ContinuousInstant, rhs: ContinuousInstant) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }

    public var description: String { "\(nanoseconds) ns" }

    /// Read once, the first time any instant is made or converted.
    private static let origin = ContinuousClock.now
    /// ``origin`` as nanoseconds from the clock's epoch, the count the system clock gives.
    private static let originSinceEpoch = ContinuousClock().systemEpoch.duration(to: origin).wholeNanoseconds
}
