/// Estimates a worker's clock offset to the coordinator from round trips (as NTP does): a probe leaves the worker
/// at `sent`, the coordinator stamps it `remote`, it comes back at `received`. Assuming the two legs take equal
/// time, remote − (sent + received) / 2 is the offset; the error is at most half the round trip, so the probe with
/// the shortest round trip wins.
public struct ClockOffset: Sendable, Equatable {
    /// Coordinator time minus worker time, in nanoseconds.
    public private(set) var offset: Int64?
    /// The round trip of the probe the offset comes from, in nanoseconds.
    public private(set) var roundTrip: Int64?
    public private(set) var samples = 0

    public init() {}

    public mutating func add(sent: Int64, remote: Int64, received: Int64) {
        guard received >= sent else { return }
        samples += 1
        let trip = received - sent
        guard roundTrip.map({ trip < $0 }) ?? true else { return }
        roundTrip = trip
        offset = remote - (sent + trip / 2)
    }

    /// A coordinator instant on the worker's clock.
    public func local(_ coordinatorNanos: Int64) -> Int64? {
        offset.map { coordinatorNanos - $0 }
    }
}
