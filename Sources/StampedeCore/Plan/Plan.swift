/// A profile at a scale: the arrival rate λ(t) over real time since the start of the run.
///
/// Real time `t` (seconds since the run started) maps to profile time `window.start + t × speed`. The rate is
/// the profile's level there, scaled so that the busiest instant of the window runs at `scale.peakRate`.
public struct Plan: Sendable {
    public let profile: Profile
    public let scale: RunScale
    public let window: ProfileWindow
    /// Profile seconds per real second.
    public let speed: Double
    /// Real seconds the run lasts.
    public let duration: Double
    /// Real seconds to the last arrival: `duration`, or more when a crowd arriving over `within` seconds is still
    /// arriving at the end. The run waits for it.
    public let arrivalsEnd: Double
    /// What the recorder counts by: the partition of the window into periods (spike windows cut out), then one
    /// slot per burst.
    public let slots: [Slot]
    /// How many of `slots` partition the window (the rest are bursts).
    public let timeSlotCount: Int
    public let curve: RateCurve
    /// Arrivals per real second per unit of level.
    private let ratePerLevel: Double
    private let integralAtWindowStart: Double

    /// The most arrivals a second a plan asks for: far beyond any fleet (a worker drops what it cannot start, and
    /// counts it), and a week of it still fits the arrival counts. Beyond it a plan is a typo (`--peak-rate
    /// 1e300/s` trapped converting its arrival count to an integer).
    public static let maxPeakRate = 10_000_000_000.0
    /// How long a run may last, in real seconds: at least a second (one interval; a shorter one measures nothing),
    /// at most a week (a day played at 1×, or two, is a real rehearsal; `--speed 1e-300x` asked for 10^300 years).
    public static let durations = 1.0...(7 * 86_400.0)

    public init(profile: Profile, scale: RunScale) throws(PlanError) {
        let curve = RateCurve(profile: profile)
        let window = scale.window ?? ProfileWindow(start: 0, end: profile.length)
        guard window.start >= 0, window.end <= profile.length + 1e-9, window.length > 0 else {
            // `--window 11:00-09:00` ends the next day: say so, or "d2 09:00" reads like a typo of ours.
            let nextDay = window.start < 86_400 && window.end >= 86_400
            throw PlanError(
                .windowOutsideProfile,
                "the window \(ProfileClock.label(window.start))-\(ProfileClock.label(window.end)) is not inside "
                    + "the profile, which runs from 00:00 to \(ProfileClock.label(profile.length))"
                    + (nextDay ? " (an end earlier than the start is the next day's)" : ""))
        }
        guard scale.peakRate > 0, scale.peakRate.isFinite else {
            throw PlanError(.badScale, "the peak rate must be above 0 arrivals per second")
        }
        guard scale.peakRate <= Self.maxPeakRate else {
            throw PlanError(
                .badScale, "the peak rate is more than a plan can count: at most 10,000,000,000 arrivals a second")
        }
        let speed: Double
        switch scale.compression {
        case .speed(let value):
            guard value > 0, value.isFinite else { throw PlanError(.badScale, "the speed must be above 0") }
            speed = value
        case .duration(let seconds):
            guard seconds > 0, seconds.isFinite else { throw PlanError(.badScale, "the duration must be above 0") }
            speed = window.length / seconds
        }
        let lasts = window.length / speed
        guard Self.durations.contains(lasts) else {
            throw PlanError(
                .badScale,
                "the run would last "
                    + (lasts < 1
                        ? "less than a second; a run lasts from 1 s to 7 days: play it slower or longer"
                        : "more than a week; a run lasts from 1 s to 7 days: play it faster or shorter"))
        }
        let arrivalsEnd = try Self.arrivalsEnd(profile.bursts, window: window, speed: speed, lasts: lasts)
        let busiest = curve.maxLevel(from: window.start, to: window.end)
        let burstInWindow = profile.bursts.contains { window.start <= $0.at && $0.at < window.end }
        guard busiest > 0 || burstInWindow else {
            throw PlanError(.emptyWindow, "the profile has no traffic in the chosen window")
        }
        self.profile = profile
        self.scale = scale
        self.window = window
        self.speed = speed
        self.duration = window.length / speed
        self.arrivalsEnd = arrivalsEnd
        self.curve = curve
        // A burst-only profile (every level 0) has no shoppers between its bursts.
        self.ratePerLevel = busiest > 0 ? scale.peakRate / busiest : 0
        self.integralAtWindowStart = curve.integral(upTo: window.start)
        let partition = Slot.partition(window: window, periods: profile.periods, spikes: profile.spikes)
        self.timeSlotCount = partition.count
        self.slots =
            partition
            + Slot.bursts(profile.bursts, window: window, periods: profile.periods, after: partition.count)
    }

    /// Real seconds from the start of the run to its last arrival: the end of the run, or later when a crowd is
    /// still arriving then (a crowd arrives over `within` real seconds from its instant). The coordinator waits
    /// for it; it is at most a week, as a run is.
    static func arrivalsEnd(
        _ bursts: [Burst], window: ProfileWindow, speed: Double, lasts: Double
    )
        throws(PlanError) -> Double
    {
        var end = lasts
        for burst in bursts where burst.at >= window.start && burst.at < window.end {
            let crowdEnd = (burst.at - window.start) / speed + burst.within
            guard crowdEnd <= Self.durations.upperBound else {
                throw PlanError(
                    .badScale,
                    "the crowd of \"\(burst.label)\" (\(ProfileClock.instant(burst.at)), within "
                        + "\(Self.seconds(burst.within))) would still be arriving \(Self.seconds(crowdEnd)) after the "
                        + "run began; a run lasts from 1 s to 7 days: give it a shorter within")
            }
            end = max(end, crowdEnd)
        }
        return end
    }

    /// A length of real time to a tenth of its unit: `19.6 s`, `2.5 min`, `3 h`, `41666.7 days`.
    static func seconds(_ value: Double) -> String {
        let (amount, unit) =
            switch value {
            case ..<120: (value, "s")
            case ..<7_200: (value / 60, "min")
            case ..<172_800: (value / 3_600, "h")
            default: (value / 86_400, "days")
            }
        let text = "\((amount * 10).rounded() / 10)"
        return (text.hasSuffix(".0") ? String(text.dropLast(2)) : text) + " " + unit
    }

    /// The slot counting a burst's crowd, when the burst is inside the window.
    public func slotIndex(ofBurst burst: Int) -> Int? {
        slots[timeSlotCount...].first { $0.burst == burst }?.index
    }

    /// Real seconds at which a burst begins.
    public func realTime(ofBurst burst: Int) -> Double { realTime(atProfile: profile.bursts[burst].at) }

    /// Profile seconds at real time `t`.
    public func profileTime(atReal t: Double) -> Double { window.start + t * speed }

    /// Real seconds since the start of the run at profile time `p`.
    public func realTime(atProfile p: Double) -> Double { (p - window.start) / speed }

    /// Arrivals per second at real time `t`.
    public func rate(atReal t: Double) -> Double {
        guard t >= 0, t < duration else { return 0 }
        return ratePerLevel * curve.level(at: profileTime(atReal: t))
    }

    /// Λ(t): the expected number of arrivals from the start of the run to real time `t`.
    public func expectedArrivals(upTo t: Double) -> Double {
        let p = min(max(profileTime(atReal: t), window.start), window.end)
        return (curve.integral(upTo: p) - integralAtWindowStart) * ratePerLevel / speed
    }

    public func expectedArrivals(from a: Double, to b: Double) -> Double {
        expectedArrivals(upTo: b) - expectedArrivals(upTo: a)
    }

    /// Expected arrivals over a range of *profile* time (clipped to the window).
    public func expectedArrivals(profileFrom a: Double, to b: Double) -> Double {
        expectedArrivals(from: realTime(atProfile: a), to: realTime(atProfile: b))
    }

    /// The total expected number of arrivals, bursts included.
    public var expectedTotal: Double { expectedArrivals(upTo: duration) + Double(burstCrowd) }

    /// Shoppers in every burst inside the window.
    public var burstCrowd: Int {
        slots[timeSlotCount...].reduce(0) { $0 + profile.bursts[$1.burst!].crowd }
    }

    /// Λ⁻¹: the real time at which the expected number of arrivals reaches `count`; nil after the end.
    public func realTime(reachingExpected count: Double) -> Double? {
        guard ratePerLevel > 0 else { return nil }
        let area = integralAtWindowStart + count * speed / ratePerLevel
        guard let p = curve.time(reachingIntegral: area), p <= window.end else { return nil }
        return realTime(atProfile: p)
    }

    /// The slot of the window that real time `t` falls in (clamped to the first and last).
    public func slotIndex(atReal t: Double) -> Int {
        let p = profileTime(atReal: t)
        var low = 0
        var high = timeSlotCount - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if slots[mid].start <= p { low = mid } else { high = mid - 1 }
        }
        return low
    }
}

/// A problem that makes a plan impossible.
public struct PlanError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let description: String
        public static let windowOutsideProfile = Code(description: "window-outside-profile")
        public static let badScale = Code(description: "bad-scale")
        public static let emptyWindow = Code(description: "empty-window")
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
