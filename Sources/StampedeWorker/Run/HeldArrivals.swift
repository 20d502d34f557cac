import StampedeCore

/// Arrivals the scheduler took when they were due but holds back while requests already wait for a connection,
/// first in, first out. Started later, a held arrival is timed from when it was due all the same, and its
/// scheduler lag is what it was when the scheduler took it (how late the scheduler was, not the pool).
///
/// Why hold them: an arrival held costs a few words, while a shopper started only to wait in the pool's queue
/// costs a task, its frames, a continuation, a place in the queue, and the cache they push out. A worker that fell
/// behind once (the connections still opening in its first second, say) paid that for every request after, ran a
/// third slower, and stayed behind for the rest of the run.
struct HeldArrivals {
    struct Held: Equatable {
        var arrival: Arrival
        var slot: Int
        var lagMicros: UInt64
    }

    private var items: [Held] = []
    /// Where the first held arrival is in `items`: taking one is a step forward, not a shift of the rest.
    private var head = 0

    var count: Int { items.count - head }
    var isEmpty: Bool { head == items.count }

    mutating func append(_ held: Held) {
        items.append(held)
    }

    mutating func popFirst() -> Held? {
        guard head < items.count else { return nil }
        let first = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 4096 && head * 2 >= items.count {
            items.removeFirst(head)
            head = 0
        }
        return first
    }

    /// Every arrival still held, oldest first; none is held after.
    mutating func removeAll() -> [Held] {
        defer {
            items.removeAll()
            head = 0
        }
        return Array(items[head...])
    }
}
