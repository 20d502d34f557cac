/// Arrivals a run never started. A worker starts a due arrival only while fewer than `--max-shoppers` shoppers are
/// going or held for a connection; beyond that the arrival is dropped and counted, and so are arrivals still held
/// when the run ends. Either way the target never saw that load, whatever the latencies say.
public enum DroppedArrivals {
    /// The console's sentence about a run that dropped arrivals, or nil when it dropped none; `count` writes a
    /// count (the report groups its digits).
    public static func summary(
        _ shoppers: ArrivalCounts, timeline: [TimelinePoint], maxShoppers: Int,
        count: (Int) -> String = { String($0) }
    ) -> String? {
        guard shoppers.dropped > 0 else { return nil }
        let share = shoppers.planned > 0 ? Double(shoppers.dropped) / Double(shoppers.planned) : 1
        let seconds = timeline.filter { $0.shoppers.dropped > 0 }.count
        let percent = (share * 1000).rounded() / 10
        return "\(count(shoppers.dropped)) of \(count(shoppers.planned)) planned arrivals "
            + "(\(percent > 0 ? "\(percent)%" : "under 0.1%")) were dropped, not sent"
            + (timeline.isEmpty ? "" : ", in \(seconds) of \(timeline.count) seconds")
            + ": a worker holds at most \(count(maxShoppers)) shoppers at once (--max-shoppers), those waiting for "
            + "a connection included, so the target saw less load than the plan. Raise --max-shoppers (`stampede "
            + "plan` gives what a worker holds at the peak) or add workers; the threshold `dropped == 0` fails "
            + "such a run"
    }
}
