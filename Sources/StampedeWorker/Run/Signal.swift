import StampedeCore
import Synchronization

/// A wake-up call between tasks: ``post()`` wakes the one task waiting in ``wait()``, or the next one to wait
/// if none is (a post is never lost, and posts in a row count as one).
final class Signal: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    func post() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            guard let waiter = state.waiter else {
                state.pending = true
                return nil
            }
            state.waiter = nil
            return waiter
        }
        waiter?.resume()
    }

    /// Returns after a post (at once for one made since the last wait), or when the task is cancelled.
    func wait() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                let now = state.withLock { state -> Bool in
                    if state.pending || Task.isCancelled {
                        state.pending = false
                        return true
                    }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            state.withLock { state in
                defer { state.waiter = nil }
                return state.waiter
            }?.resume()
        }
    }
}

/// Sleeps until `deadline`, or until one of `signals` is posted, whichever comes first. Short sleeps are plain
/// (a signal is looked at when they end): racing a timer against a signal costs two tasks, worth it only when
/// the wait is long enough for the signal to matter.
func sleep(until instant: ContinuousInstant, orUntilAnyOf signals: [Signal]) async {
    let deadline = instant.continuous
    if deadline - .now <= .milliseconds(20) || signals.isEmpty {
        try? await Task.sleep(until: deadline, clock: .continuous)
        return
    }
    await withTaskGroup(of: Void.self) { group in
        group.addTask { try? await Task.sleep(until: deadline, clock: .continuous) }
        for signal in signals { group.addTask { await signal.wait() } }
        await group.next()
        group.cancelAll()
    }
}
