import HeapModule
import NIOCore

/// The deadlines of requests waiting for a connection, earliest first (a heap), with one sweep timer for
/// them all. A waiter served before its deadline is not removed: the sweep skips it when it reaches it. A NIO
/// timer per waiter made every hand-off cancel a timer, and NIO finds a cancelled timer in its heap by a linear
/// search — under overload, with 20,000 shoppers waiting, that search was most of the CPU, and the generator
/// delivered less the harder it was pushed.
struct WaiterDeadlines {
    private struct Entry: Comparable {
        var waiter: PoolStateMachine.WaiterID
        var deadline: NIODeadline

        static func < (lhs: Entry, rhs: Entry) -> Bool { lhs.deadline < rhs.deadline }
        static func == (lhs: Entry, rhs: Entry) -> Bool { lhs.deadline == rhs.deadline }
    }

    private var heap = Heap<Entry>()

    var count: Int { heap.count }

    /// The earliest deadline kept (its waiter may have been served since).
    var earliest: NIODeadline? { heap.min?.deadline }

    mutating func append(_ waiter: PoolStateMachine.WaiterID, _ deadline: NIODeadline) {
        heap.insert(Entry(waiter: waiter, deadline: deadline))
    }

    /// Takes every waiter whose deadline has passed and is still waiting (`isWaiting`), dropping those served;
    /// returns them (earliest first) and the earliest deadline of a waiter still waiting, if any.
    mutating func expire(
        at now: NIODeadline, isWaiting: (PoolStateMachine.WaiterID) -> Bool
    ) -> (expired: [PoolStateMachine.WaiterID], next: NIODeadline?) {
        var expired: [PoolStateMachine.WaiterID] = []
        while let first = heap.min {
            if !isWaiting(first.waiter) {
                _ = heap.removeMin()
            } else if first.deadline <= now {
                expired.append(heap.removeMin().waiter)
            } else {
                break
            }
        }
        return (expired, heap.min?.deadline)
    }
}
