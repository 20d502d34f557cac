import StampedeClock
import Synchronization

/// Every request the shop received: when (the machine's monotonic clock, so a test can compare it with other
/// processes' instants), which worker sent it (`x-stampede-worker`), and what it asked for. Bounded: past
/// `capacity` entries the oldest are dropped and counted.
public final class RequestLog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var nanos: Int64
        public var worker: String?
        /// The shopper's number in the plan (`x-stampede-shopper`).
        public var shopper: UInt64?
        public var method: String
        public var path: String
    }

    private struct State {
        var entries: [Entry] = []
        var start = 0
        /// Entries ever appended.
        var total = 0
    }

    public let capacity: Int
    private let state = Mutex(State())

    public init(capacity: Int = 1_000_000) {
        self.capacity = capacity
    }

    func append(worker: String?, shopper: UInt64?, method: String, path: String) {
        let entry = Entry(nanos: ProcessClock.nanoseconds, worker: worker, shopper: shopper, method: method, path: path)
        state.withLock { state in
            if state.entries.count < capacity {
                state.entries.append(entry)
            } else {
                state.entries[state.start] = entry
                state.start = (state.start + 1) % capacity
            }
            state.total += 1
        }
    }

    /// The entries in order of arrival.
    public var entries: [Entry] {
        state.withLock { Array($0.entries[$0.start...] + $0.entries[..<$0.start]) }
    }

    /// The entries appended after the first `count` ever appended (those still held), and the new count.
    public func entries(after count: Int) -> (entries: [Entry], total: Int) {
        state.withLock { state in
            let held = state.entries.count
            let new = min(held, max(0, state.total - count))
            let ordered = state.entries[state.start...] + state.entries[..<state.start]
            return (Array(ordered.suffix(new)), state.total)
        }
    }

    public func reset() { state.withLock { $0 = State() } }
}
