/// Arrivals a run never started. A worker starts a due arrival only while fewer than `--max-shoppers` shoppers are
/// going or held for a connection; beyond that the arrival is dropped and counted, and so are arrivals still held
/// when the run ends. Either way the target never saw that load, whatever the latencies say.
public enum DroppedArrivals {
    /// The console's sentence about a run that dropped arrivals, or nil when it dropped none; `count` writes a
    /// count (the report groups its digits). When most of a worker's room went to arrivals waiting for a connection,
    /// the connections were the narrow part, not the shoppers, and the sentence says so rather than ask for more
    /// `--max-shoppers` (which would only hold more of them).
    public static func summary(
        _ shoppers: ArrivalCounts, timeline: [TimelinePoint], maxShoppers: Int, connections: Int,
        count: (Int) -> String = { String($0) }
    ) -> String? {
        guard shoppers.dropped > 0 else { return nil }
        let share = shoppers.planned > 0 ? Double(shoppers.dropped) / Double(shoppers.planned) : 1
        let dropping = timeline.filter { $0.shoppers.dropped > 0 }
        let percent = (share * 1000).rounded() / 10
        let head =
            "\(count(shoppers.dropped)) of \(count(shoppers.planned)) planned arrivals "
            + "(\(percent > 0 ? "\(percent)%" : "under 0.1%")) were dropped, not sent"
            + (timeline.isEmpty ? "" : ", in \(dropping.count) of \(timeline.count) seconds")
            + ": a worker holds at most \(count(maxShoppers)) shoppers at once (--max-shoppers), "
        let tail = "; the threshold `dropped == 0` fails such a run"
        if let queued = dropping.filter({ $0.waiting > $0.inFlight }).max(by: { $0.waiting < $1.waiting }) {
            return head
                + "and most of that room went to arrivals waiting for a connection (\(count(queued.waiting)) at "
                + "once at \(queued.clock), against \(count(queued.inFlight)) shoppers going): every one of its "
                + "\(count(connections)) connections (--connections) was busy with a request the target had not "
                + "answered, so the target saw less load than the plan. Look at the target's latency first; raise "
                + "--connections if it can take more at once, as more --max-shoppers would only hold more" + tail
        }
        return head
            + "those waiting for a connection included, so the target saw less load than the plan. Raise "
            + "--max-shoppers (`stampede plan` gives what a worker holds at the peak) or add workers" + tail
    }
}
