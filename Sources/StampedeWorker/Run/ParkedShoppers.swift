import HeapModule
import StampedeCore
import Synchronization

/// Shoppers thinking, earliest wake first: the arrival scheduler starts each again as a new task when its think is
/// over, as it starts new arrivals. A parked shopper is its ``ShopperProgress`` in a heap and nothing else — no
/// task, no timer.
///
/// The scheduler says how long it is going to sleep (``sleep(until:)``); a shopper parked with an earlier wake
/// posts ``signal``, so a short think parked while the scheduler waits for a far arrival is not late.
final class ParkedShoppers: Sendable {
    private struct Parked: Comparable {
        var progress: ShopperProgress

        static func < (lhs: Parked, rhs: Parked) -> Bool { lhs.progress.intended < rhs.progress.intended }
        static func == (lhs: Parked, rhs: Parked) -> Bool { lhs.progress.intended == rhs.progress.intended }
    }

    private struct State {
        var heap = Heap<Parked>()
        /// Whether the scheduler sleeps (while it is awake, it looks at the heap before it sleeps again), and until
        /// when (nil: until a signal).
        var schedulerAsleep = false
        var schedulerWake: ContinuousInstant?
        /// No more parking: the run is cancelling its shoppers.
        var closed = false
    }

    private let state = Mutex(State())
    /// Posted when a shopper is parked with a wake earlier than the scheduler's.
    let signal = Signal()

    var count: Int { state.withLock { $0.heap.count } }

    /// Parks a thinking shopper until `progress.intended`. Returns it back when parking is closed (the caller
    /// ends it as cancelled).
    func park(_ progress: ShopperProgress) -> ShopperProgress? {
        let wake = progress.intended
        let (refused, wakeScheduler) = state.withLock { state -> (ShopperProgress?, Bool) in
            guard !state.closed else { return (progress, false) }
            state.heap.insert(Parked(progress: progress))
            guard state.schedulerAsleep, state.schedulerWake.map({ wake < $0 }) ?? true else { return (nil, false) }
            state.schedulerWake = wake
            return (nil, true)
        }
        if wakeScheduler { signal.post() }
        return refused
    }

    /// Takes the shoppers whose think is over by `now`, earliest first.
    func takeDue(by now: ContinuousInstant) -> [ShopperProgress] {
        state.withLock { state in
            var due: [ShopperProgress] = []
            while let first = state.heap.min, first.progress.intended <= now {
                due.append(state.heap.removeMin().progress)
            }
            state.schedulerAsleep = false
            return due
        }
    }

    /// The scheduler is about to sleep until `deadline`: returns the wake to sleep until, the earlier of it and the
    /// first parked shopper's.
    func sleep(until deadline: ContinuousInstant?) -> ContinuousInstant? {
        state.withLock { state in
            var wake = deadline
            if let first = state.heap.min?.progress.intended, wake.map({ first < $0 }) ?? true { wake = first }
            state.schedulerAsleep = true
            state.schedulerWake = wake
            return wake
        }
    }

    /// Closes parking and takes every shopper parked, to be ended as cancelled.
    func close() -> [ShopperProgress] {
        state.withLock { state in
            state.closed = true
            defer { state.heap = Heap() }
            return state.heap.unordered.map(\.progress)
        }
    }
}
