/// A piece of the played window that the recorder counts separately: a period (an hour or a stage), or the
/// part of a period inside a spike.
public struct Slot: Codable, Sendable, Equatable {
    public var index: Int
    /// Profile seconds, [start, end).
    public var start: Double
    public var end: Double
    /// The period (report row) this slot belongs to.
    public var period: Int
    /// The spike this slot belongs to, if any.
    public var spike: Int?
    /// The burst whose crowd this slot counts, if any. Burst slots come after the partition of the window.
    public var burst: Int?

    static func partition(window: ProfileWindow, periods: [Period], spikes: [Spike]) -> [Slot] {
        var slots: [Slot] = []
        for period in periods {
            let lo = max(period.start, window.start)
            let hi = min(period.end, window.end)
            guard hi > lo else { continue }
            var cuts: [(Double, Int?)] = [(lo, nil)]
            for (index, spike) in spikes.enumerated() where spike.end > lo && spike.start < hi {
                cuts.append((max(spike.start, lo), index))
                if spike.end < hi { cuts.append((spike.end, nil)) }
            }
            // At equal times a spike's cut goes after the plain one, so the empty plain piece is skipped below.
            cuts.sort { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 == nil && $1.1 != nil) }
            for (position, cut) in cuts.enumerated() {
                let end = position + 1 < cuts.count ? cuts[position + 1].0 : hi
                guard end > cut.0 else { continue }
                slots.append(
                    Slot(index: slots.count, start: cut.0, end: end, period: period.index, spike: cut.1, burst: nil))
            }
        }
        return slots
    }

    /// One slot per burst inside the window, after the partition.
    static func bursts(_ bursts: [Burst], window: ProfileWindow, periods: [Period], after count: Int) -> [Slot] {
        var slots: [Slot] = []
        for (index, burst) in bursts.enumerated() where burst.at >= window.start && burst.at < window.end {
            let period = periods.last { $0.start <= burst.at }?.index ?? 0
            slots.append(
                Slot(
                    index: count + slots.count, start: burst.at, end: burst.at, period: period, spike: nil, burst: index
                ))
        }
        return slots
    }
}
