/// Counts of requests of one step: every request ends exactly one way.
public struct RequestCounts: Codable, Sendable, Equatable {
    public var requests = 0
    public var ok = 0
    public var failed = 0
    /// Answered 429: the target is rate limiting, which is behaviour, not failure.
    public var throttled = 0
    public var errors: [ErrorLabel: Int] = [:]

    public init() {}

    public mutating func add(_ other: RequestCounts) {
        requests += other.requests
        ok += other.ok
        failed += other.failed
        throttled += other.throttled
        errors.merge(other.errors, uniquingKeysWith: +)
    }
}

/// Counts of shoppers that arrived in one slot: planned = started + dropped, and every started shopper ends as
/// succeeded, failed or throttled.
public struct ArrivalCounts: Codable, Sendable, Equatable {
    /// Arrivals that came due (the realised plan).
    public var planned = 0
    public var started = 0
    /// Arrivals that could not start because the concurrency cap was reached.
    public var dropped = 0
    public var succeeded = 0
    public var failed = 0
    public var throttled = 0
    /// Why shoppers failed.
    public var failures: [ErrorLabel: Int] = [:]
    /// The latest start after the due time, in microseconds (scheduler lag).
    public var maxStartLagMicros: UInt64 = 0

    public init() {}

    public mutating func add(_ other: ArrivalCounts) {
        planned += other.planned
        started += other.started
        dropped += other.dropped
        succeeded += other.succeeded
        failed += other.failed
        throttled += other.throttled
        failures.merge(other.failures, uniquingKeysWith: +)
        maxStartLagMicros = max(maxStartLagMicros, other.maxStartLagMicros)
    }

    /// Shoppers that have ended one way or another.
    public var ended: Int { succeeded + failed + throttled }
}
