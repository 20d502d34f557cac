/// How soon after its last wake-up a worker's scheduler may wake again to start the arrivals then due (and the
/// shoppers whose think is then over).
///
/// A wake-up costs about as much as a request: a timer set, a wait for events, and on loopback a thread woken on
/// each side. Woken for every arrival at 40,000/s, a worker spends a third of its core waking. So at a high rate
/// shoppers are started in batches: the scheduler wakes no sooner than ``interval`` after its last wake, and the
/// interval grows with the rate of starts — ``longest`` (1 ms, the resolution of wrk2's timers) at ``fullRate``
/// and above, in proportion below it (0.2 ms at 10,000/s, 40 µs at 2,000/s), so that at a low rate, where waking
/// costs nothing worth mentioning, each shopper still starts at its own time.
///
/// A shopper started late is timed from when it was due, as every request is: the corrected latency includes the
/// wait (at most ``interval``), the uncorrected latency does not.
public struct ReleasePacing: Sendable, Equatable {
    /// The longest interval, in seconds.
    public static let longest = 0.001
    /// The rate of starts (per second) from which the interval is ``longest``.
    public static let fullRate = 50_000.0
    /// How much of the moving average of the gap between arrivals a new gap replaces.
    static let weight = 1.0 / 16

    /// The moving average of the time between consecutive starts, seconds; nil before the second.
    public private(set) var meanGap: Double?
    private var lastDue: Double?

    public init() {}

    /// A shopper due at `due` (seconds since the run's start) was started: a new arrival, or one back from a think.
    public mutating func observe(due: Double) {
        if let lastDue {
            let gap = max(0, due - lastDue)
            meanGap = meanGap.map { $0 + (gap - $0) * Self.weight } ?? gap
        }
        lastDue = max(due, lastDue ?? due)
    }

    /// The starts a second, as the moving average sees them: 0 before two, infinite for a crowd that arrives all
    /// at once.
    public var rate: Double {
        guard let meanGap else { return 0 }
        return meanGap > 0 ? 1 / meanGap : .infinity
    }

    /// The least time between two wake-ups of the scheduler, seconds.
    public var interval: Double {
        min(Self.longest, Self.longest * rate / Self.fullRate)
    }
}
