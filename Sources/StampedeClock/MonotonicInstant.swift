import StampedeCore

/// An instant on a machine's monotonic clock, in nanoseconds: what the protocol carries (a start instant, a
/// clock probe) and what the control plane's state machines are given as "now".
public struct MonotonicInstant: InstantProtocol, Hashable, Sendable, CustomStringConvertible {
    public var nanoseconds: Int64

    public init(nanoseconds: Int64) {
        self.nanoseconds = nanoseconds
    }

    public func advanced(by duration: Duration) -> MonotonicInstant {
        MonotonicInstant(nanoseconds: nanoseconds + duration.wholeNanoseconds)
    }

    public func duration(to other: MonotonicInstant) -> Duration {
        .nanoseconds(other.nanoseconds - nanoseconds)
    }

    public static func < (lhs: MonotonicInstant, rhs: MonotonicInstant) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    public var description: String { "\(nanoseconds) ns" }
}

/// A clock whose instants are ``MonotonicInstant``s: ``ProcessClock`` in production, a manual clock in tests.
/// The coordinator and the worker take one, so their leases, losses and heartbeats can be tested in
/// milliseconds of real time.
public protocol MonotonicClock: Clock, Sendable where Instant == MonotonicInstant, Duration == Swift.Duration {}

extension MonotonicClock {
    /// Sleeps until `deadline` (no tolerance).
    public func sleep(until deadline: MonotonicInstant) async throws {
        try await sleep(until: deadline, tolerance: nil)
    }
}
