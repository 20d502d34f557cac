/// The live view of one second of a run: the second's figures (as the report's timeline has them) and the totals
/// so far.
public struct Progress: Sendable, Equatable {
    public var point: TimelinePoint
    /// Shoppers so far.
    public var total: ArrivalCounts
    public var expectedTotal: Double
    /// Seconds to the last arrival (``Plan/arrivalsEnd``): the run's, or more while a crowd still arrives.
    public var plannedSeconds: Double

    public init(point: TimelinePoint, total: ArrivalCounts, expectedTotal: Double, plannedSeconds: Double) {
        self.point = point
        self.total = total
        self.expectedTotal = expectedTotal
        self.plannedSeconds = plannedSeconds
    }

    public var second: Int { point.second }

    /// p99 of the corrected latency of requests completed this second, in milliseconds; nil when none completed.
    public var p99: Double? { point.corrected.count > 0 ? point.corrected.p99 : nil }
}
