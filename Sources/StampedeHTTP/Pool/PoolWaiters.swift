import Synchronization

/// The requests a pool has waiting for a connection, each under its number. Kept in the pool's lock, and counted
/// also in a tally that the client reads without any lock: the scheduler asks before it starts each held shopper,
/// and a sum over the pools under their locks cost ~0.6 % of a one-step shopper's CPU (perf).
struct PoolWaiters<Waiter> {
    typealias WaiterID = PoolStateMachine.WaiterID

    private var table: [WaiterID: Waiter] = [:]
    /// Where this pool's waiters are counted with the other pools' (nil: nowhere, as for a shopper's own pool).
    private let tally: WaitingTally?

    init(tally: WaitingTally?) {
        self.tally = tally
    }

    var count: Int { table.count }

    func contains(_ id: WaiterID) -> Bool { table[id] != nil }

    mutating func insert(_ waiter: Waiter, as id: WaiterID) {
        if table.updateValue(waiter, forKey: id) == nil { tally?.count.add(1, ordering: .relaxed) }
    }

    mutating func remove(_ id: WaiterID) -> Waiter? {
        guard let removed = table.removeValue(forKey: id) else { return nil }
        tally?.count.subtract(1, ordering: .relaxed)
        return removed
    }
}

/// Requests waiting for a connection across the pools that share it.
final class WaitingTally: Sendable {
    let count = Atomic<Int>(0)
}
