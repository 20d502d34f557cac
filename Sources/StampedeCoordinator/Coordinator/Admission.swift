import Synchronization

/// Bounds how many intervals wait for the run loop: a stream that would add one more waits for the loop to take
/// one. When the coordinator falls behind, it stops reading; HTTP/2 flow control then holds the workers' streams,
/// and the coordinator's memory stays bounded instead of queueing without end. Opened for good at the end of the
/// run, so that nothing waits on a loop that no longer reads.
final class Admission: Sendable {
    private struct State {
        var waiting = 0
        var waiters: [CheckedContinuation<Void, Never>] = []
        var open = false
    }

    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = limit
    }

    /// How many intervals wait for room (0 when the run loop keeps up).
    var backlog: Int { state.withLock { $0.waiters.count } }

    /// Waits for room for one more interval.
    func enter() async {
        let admitted = state.withLock { state -> Bool in
            guard !state.open, state.waiting >= limit else {
                state.waiting += 1
                return true
            }
            return false
        }
        if admitted { return }
        await withCheckedContinuation { continuation in
            let now = state.withLock { state -> Bool in
                if state.open || state.waiting < limit {
                    state.waiting += 1
                    return true
                }
                state.waiters.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// The loop took one interval: room for the next waiting one.
    func leave() {
        let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard !state.waiters.isEmpty else {
                state.waiting = max(0, state.waiting - 1)
                return nil
            }
            // The slot passes straight to a waiter: `waiting` stays as it is.
            return state.waiters.removeFirst()
        }
        next?.resume()
    }

    /// No more waiting, ever (the run is over).
    func openForGood() {
        let waiters = state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}
