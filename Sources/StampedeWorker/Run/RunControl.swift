public import StampedeCore
import Synchronization

/// What reaches a running share from outside: a stop (the coordinator's word, Ctrl-C, a lost lease) and share
/// changes (a worker lost or joined elsewhere). The scheduler is woken by either; nothing polls.
public final class RunControl: Sendable {
    public struct StopRequest: Sendable, Equatable {
        public var reason: StopReason
        /// How long shoppers already going may go on before they are cancelled (zero: at once, no further request).
        public var drain: Duration
        /// When it was asked for.
        public var at: ContinuousClock.Instant
    }

    private struct State {
        var stop: StopRequest?
        var changes: [(share: Share, from: Double)] = []
    }

    private let state = Mutex(State())
    let signal = Signal()

    public init() {}

    /// Asks the run to stop sending new arrivals. The first reason is kept; the shortest drain asked for wins.
    public func stop(_ reason: StopReason, drain: Duration) {
        let now = ContinuousClock.now
        state.withLock { state in
            if let existing = state.stop {
                let end = min(existing.at + existing.drain, now + drain)
                state.stop = StopRequest(reason: existing.reason, drain: end - existing.at, at: existing.at)
            } else {
                state.stop = StopRequest(reason: reason, drain: drain, at: now)
            }
        }
        signal.post()
    }

    /// From `from` seconds on, the run owns `share` instead of what it owned.
    public func changeShare(_ share: Share, from: Double) {
        state.withLock { $0.changes.append((share, from)) }
        signal.post()
    }

    public var stopRequest: StopRequest? { state.withLock { $0.stop } }

    /// Returns when a stop or a share change is posted (at once for one posted since the last call), or when the
    /// task is cancelled.
    public func signalled() async {
        await signal.wait()
    }

    public func takeChanges() -> [(share: Share, from: Double)] {
        state.withLock { state in
            defer { state.changes.removeAll() }
            return state.changes
        }
    }
}
