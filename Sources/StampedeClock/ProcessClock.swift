import StampedeCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The machine's monotonic clock (`CLOCK_MONOTONIC`). On one machine every process reads the same clock, so a
/// coordinator, its workers and a target on loopback can compare instants directly; across machines workers
/// measure their offset (``StampedeCore/ClockOffset``).
public struct ProcessClock: MonotonicClock {
    public init() {}

    /// Now, in nanoseconds.
    public static var nanoseconds: Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    public var now: MonotonicInstant { MonotonicInstant(nanoseconds: Self.nanoseconds) }

    public var minimumResolution: Duration { .nanoseconds(1) }

    public func sleep(until deadline: MonotonicInstant, tolerance: Duration? = nil) async throws {
        let remaining = now.duration(to: deadline)
        guard remaining > .zero else { return try Task.checkCancellation() }
        try await Task.sleep(for: remaining, tolerance: tolerance)
    }

    /// The continuous-clock instant at a monotonic instant (to sleep until it on the continuous clock).
    public static func continuous(at instant: MonotonicInstant) -> ContinuousClock.Instant {
        ContinuousClock.now + .nanoseconds(instant.nanoseconds - nanoseconds)
    }

    /// The monotonic instant of a continuous-clock instant.
    public static func monotonic(at instant: ContinuousClock.Instant) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: nanoseconds + (instant - ContinuousClock.now).wholeNanoseconds)
    }
}
