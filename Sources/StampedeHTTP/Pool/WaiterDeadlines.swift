import NIOCore

/// The deadlines of requests waiting for a connection, earliest first (a binary heap), with one sweep timer for
/// them all. A waiter served before its deadline is not removed: the sweep skips it when it reaches it. A NIO
/// timer per waiter made every hand-off cancel a timer, and NIO finds a cancelled timer in its heap by a linear
/// search — under overload, with 20,000 shoppers waiting, that search was most of the CPU, and the generator
/// delivered less the harder it was pushed.
struct WaiterDeadlines {
    typealias Entry = (waiter: PoolStateMachine.WaiterID, deadline: NIODeadline)
    private var heap: [Entry] = []

    var count: Int { heap.count }

    /// The earliest deadline kept (its waiter may have been served since).
    var earliest: NIODeadline? { heap.first?.deadline }

    mutating func append(_ waiter: PoolStateMachine.WaiterID, _ deadline: NIODeadline) {
        heap.append((waiter, deadline))
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func removeEarliest() -> Entry {
        let earliest = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return earliest }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count && heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return earliest
    }

    /// Takes every waiter whose deadline has passed and is still waiting (`isWaiting`), dropping those served;
    /// returns them (earliest first) and the earliest deadline of a waiter still waiting, if any.
    mutating func expire(
        at now: NIODeadline, isWaiting: (PoolStateMachine.WaiterID) -> Bool
    ) -> (expired: [PoolStateMachine.WaiterID], next: NIODeadline?) {
        var expired: [PoolStateMachine.WaiterID] = []
        while let first = heap.first {
            if !isWaiting(first.waiter) {
                _ = removeEarliest()
            } else if first.deadline <= now {
                expired.append(removeEarliest().waiter)
            } else {
                break
            }
        }
        return (expired, heap.first?.deadline)
    }
}
