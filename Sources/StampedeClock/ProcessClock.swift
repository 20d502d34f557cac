#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The monotonic clock in nanoseconds, as the protocol carries it. On one machine every process reads the same
/// clock, so a coordinator, its workers and a target on loopback can compare instants directly; across machines
/// workers measure their offset (``StampedeCore/ClockOffset``).
public enum ProcessClock {
    public static func now() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// The continuous-clock instant at a monotonic time in nanoseconds (for sleeping until it).
    public static func instant(atNanos nanos: Int64) -> ContinuousClock.Instant {
        let reference = ContinuousClock.now
        return reference + .nanoseconds(nanos - now())
    }

    /// Nanoseconds on this clock at a continuous-clock instant.
    public static func nanos(at instant: ContinuousClock.Instant) -> Int64 {
        let nowNanos = now()
        let (seconds, attoseconds) = (instant - ContinuousClock.now).components
        return nowNanos + seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
