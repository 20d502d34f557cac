/// A worker's share over the run: the share it owns changes at given seconds (a worker joins late, another is
/// lost and its arrivals go to the survivors). Each change applies to arrivals due from its second on.
public struct ShareSchedule: Codable, Sendable, Equatable {
    public struct Change: Codable, Sendable, Equatable {
        /// Real seconds since the start of the run.
        public var from: Double
        public var share: Share

        public init(from: Double, share: Share) {
            self.from = from
            self.share = share
        }
    }

    /// In order of `from`.
    public private(set) var changes: [Change]

    public init(_ share: Share, from: Double = 0) {
        self.changes = [Change(from: from, share: share)]
    }

    public static let whole = ShareSchedule(.whole)

    /// The share that owns arrivals due at `time` (none before the first change).
    public func share(at time: Double) -> Share {
        changes.last { $0.from <= time }?.share ?? .empty
    }

    /// From `from` on, `share` replaces whatever was owned.
    public mutating func change(to share: Share, from: Double) {
        changes.removeAll { $0.from >= from }
        changes.append(Change(from: from, share: share))
    }

    @inlinable
    public func owns(arrival index: UInt64, at time: Double) -> Bool {
        share(at: time).owns(arrival: index)
    }
}
