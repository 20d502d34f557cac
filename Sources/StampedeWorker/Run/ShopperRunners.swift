import HeapModule
import StampedeCore
import Synchronization

/// The tasks that run shoppers on one event loop, kept from one shopper to the next. A runner runs a leg of a
/// shopper's flow (``Leg``), then waits here for the next leg the scheduler hands it.
///
/// Why keep them: a task a leg cost 5–12 % of the worker's CPU at 40,000 requests a second (two sittings), and 7
/// of the 12 mallocs of a one-step request: creating it, the first slabs of its allocator (a malloc for each async
/// frame that did not fit, four a leg), adding it to the scheduler's task group and taking it out again, and
/// freeing it all. A runner pays that once: its slabs stay with it, and handing it a leg is one continuation
/// resumed.
///
/// At most ``idleLimit`` runners wait here, so a burst of shoppers going at once does not leave its tasks (about
/// 18 KiB each, the deepest stack they had) behind. Which one ends matters: a task group finds a child that ends
/// by walking its children from the oldest, so thousands of runners ending in no order would walk thousands each.
/// Runners are numbered as they start (``enlist()``); a leg goes to the youngest waiting, and when too many wait,
/// the oldest ends, the one the walk finds first.
final class ShopperRunners: Sendable {
    /// A leg of a shopper's flow: its first (the shopper begins on the runner's loop), or the next after a think.
    enum Leg: Sendable {
        case begin(Arrival, slot: Int)
        case resume(ShopperProgress)
    }

    /// How many shoppers the scheduler hands to waiting runners on its own loop before it lets them start and
    /// looks at the pool's queue again: at most this many start only to wait for a connection.
    static let startsBeforeLooking = 32

    let idleLimit: Int
    private let state = Mutex(State())

    private struct State {
        var idle = Heap<Waiting>()
        var enlisted = 0
        var closed = false
    }

    /// A runner waiting for a leg, ordered by when it started.
    private struct Waiting: Comparable {
        let number: Int
        let continuation: UnsafeContinuation<Leg?, Never>

        static func < (lhs: Waiting, rhs: Waiting) -> Bool { lhs.number < rhs.number }
        static func == (lhs: Waiting, rhs: Waiting) -> Bool { lhs.number == rhs.number }
    }

    init(idleLimit: Int = 1_024) {
        precondition(idleLimit > 0)
        self.idleLimit = idleLimit
    }

    /// A number for a runner that starts now, later than every number before it.
    func enlist() -> Int {
        state.withLock { state in
            defer { state.enlisted += 1 }
            return state.enlisted
        }
    }

    /// Hands `leg` to the youngest runner waiting here; false when none waits (the caller starts one with it).
    func hand(_ leg: Leg) -> Bool {
        guard let runner = state.withLock({ $0.idle.popMax() }) else { return false }
        runner.continuation.resume(returning: leg)
        return true
    }

    /// The next leg for runner `number`, which finished one; nil when the runners are closed, or when it is the
    /// oldest of more than ``idleLimit`` waiting (then it ends; if another is older, that one ends instead).
    func next(runner number: Int) async -> Leg? {
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Leg?, Never>) in
            let ending = state.withLock { state -> UnsafeContinuation<Leg?, Never>? in
                if state.closed { return continuation }
                state.idle.insert(Waiting(number: number, continuation: continuation))
                return state.idle.count > idleLimit ? state.idle.popMin()?.continuation : nil
            }
            ending?.resume(returning: nil)
        }
    }

    /// No more legs: the runners waiting end now (oldest first), the ones running end after their leg.
    func close() {
        var waiting = state.withLock { state in
            state.closed = true
            defer { state.idle = Heap() }
            return state.idle
        }
        while let runner = waiting.popMin() { runner.continuation.resume(returning: nil) }
    }

    /// How many runners wait for a leg.
    var idleCount: Int { state.withLock { $0.idle.count } }
}
