/// A piecewise-linear, non-negative level over profile time, with its exact integral and inverse.
///
/// Levels are relative (the busiest level of the base shape is 1); ``Plan`` scales them to arrivals per second.
public struct RateCurve: Sendable, Equatable {
    /// One linear piece: the level goes from `from` at `start` to `to` at `end`.
    public struct Segment: Sendable, Equatable {
        public var start: Double
        public var end: Double
        public var from: Double
        public var to: Double

        public init(start: Double, end: Double, from: Double, to: Double) {
            self.start = start
            self.end = end
            self.from = from
            self.to = to
        }

        var slope: Double { end > start ? (to - from) / (end - start) : 0 }

        func level(at t: Double) -> Double { from + slope * (t - start) }

        /// ∫ level from `start` to `t` (t within the segment).
        func area(upTo t: Double) -> Double {
            let dt = t - start
            return from * dt + 0.5 * slope * dt * dt
        }

        /// The time within the segment at which `area(upTo:)` reaches `target` (0 ≤ target ≤ area of the segment).
        func time(reachingArea target: Double) -> Double {
            if target <= 0 { return start }
            let a = 0.5 * slope
            let dt: Double
            if abs(a) < 1e-18 {
                dt = from > 0 ? target / from : end - start
            } else {
                // a·dt² + from·dt − target = 0, the root in [0, length]; written to avoid cancellation.
                let discriminant = max(0, from * from + 4 * a * target)
                dt = (2 * target) / (from + discriminant.squareRoot())
            }
            return min(end, start + max(0, dt))
        }
    }

    public let segments: [Segment]
    /// `cumulative[i]` is the integral up to the start of segment `i`; the last entry is the total.
    private let cumulative: [Double]

    public init(segments: [Segment]) {
        self.segments = segments
        var running = 0.0
        var cumulative = [0.0]
        cumulative.reserveCapacity(segments.count + 1)
        for segment in segments {
            running += segment.area(upTo: segment.end)
            cumulative.append(running)
        }
        self.cumulative = cumulative
    }

    public var start: Double { segments.first?.start ?? 0 }
    public var end: Double { segments.last?.end ?? 0 }
    public var total: Double { cumulative.last ?? 0 }

    public func level(at t: Double) -> Double {
        guard let index = segmentIndex(containing: t) else { return 0 }
        return segments[index].level(at: t)
    }

    /// ∫ level from the start of the curve to `t`.
    public func integral(upTo t: Double) -> Double {
        guard let first = segments.first, t > first.start else { return 0 }
        guard t < end else { return total }
        let index = segmentIndex(containing: t)!
        return cumulative[index] + segments[index].area(upTo: t)
    }

    public func integral(from a: Double, to b: Double) -> Double {
        integral(upTo: b) - integral(upTo: a)
    }

    /// The earliest time at which the integral from the start reaches `area`; nil past the total.
    public func time(reachingIntegral area: Double) -> Double? {
        guard area <= total, !segments.isEmpty else { return nil }
        // The last segment whose cumulative start is below `area`.
        var low = 0
        var high = segments.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if cumulative[mid] < area { low = mid } else { high = mid - 1 }
        }
        return segments[low].time(reachingArea: area - cumulative[low])
    }

    /// The highest level over [a, b).
    public func maxLevel(from a: Double, to b: Double) -> Double {
        var best = 0.0
        for segment in segments where segment.end > a && segment.start < b {
            let lo = max(a, segment.start)
            let hi = min(b, segment.end)
            best = max(best, segment.level(at: lo), segment.level(at: hi))
        }
        return best
    }

    private func segmentIndex(containing t: Double) -> Int? {
        guard let first = segments.first, t >= first.start, t < end else { return nil }
        var low = 0
        var high = segments.count - 1
        while low < high {
            let mid = (low + high + 1) / 2
            if segments[mid].start <= t { low = mid } else { high = mid - 1 }
        }
        return low
    }
}

extension RateCurve {
    /// The curve of a profile: its base shape (busiest level 1) with spikes laid over it.
    public init(profile: Profile) {
        var base: [Segment] = []
        switch profile.shape {
        case .hourly(let weights):
            let busiest = weights.max() ?? 0
            for (hour, weight) in weights.enumerated() {
                let level = busiest > 0 ? weight / busiest : 0
                base.append(Segment(start: Double(hour) * 3600, end: Double(hour + 1) * 3600, from: level, to: level))
            }
        case .stages(let stages):
            let busiest = stages.reduce(0.0) { max($0, $1.to, $1.from ?? 0) }
            var t = 0.0
            var previous = 0.0
            for stage in stages {
                let from = (stage.from ?? previous) / (busiest > 0 ? busiest : 1)
                let to = stage.to / (busiest > 0 ? busiest : 1)
                base.append(Segment(start: t, end: t + stage.duration, from: from, to: to))
                t += stage.duration
                previous = stage.to
            }
        }
        self.init(segments: Self.overlay(base, with: profile.spikes))
    }

    /// Replaces the base level by the spike level inside every spike window.
    static func overlay(_ base: [Segment], with spikes: [Spike]) -> [Segment] {
        var segments = base
        for spike in spikes.sorted(by: { $0.start < $1.start }) {
            var next: [Segment] = []
            for segment in segments {
                if segment.end <= spike.start || segment.start >= spike.end {
                    next.append(segment)
                    continue
                }
                if segment.start < spike.start {
                    next.append(
                        Segment(
                            start: segment.start, end: spike.start, from: segment.from,
                            to: segment.level(at: spike.start)))
                }
                let lo = max(segment.start, spike.start)
                let hi = min(segment.end, spike.end)
                next.append(Segment(start: lo, end: hi, from: spike.level, to: spike.level))
                if segment.end > spike.end {
                    next.append(
                        Segment(
                            start: spike.end, end: segment.end, from: segment.level(at: spike.end),
                            to: segment.to))
                }
            }
            segments = next
        }
        return segments.filter { $0.end > $0.start }
    }
}
