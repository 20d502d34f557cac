public import StampedeCore
import Synchronization

/// Asks a running worker to stop sending new arrivals: the end of the run, Ctrl-C, the coordinator's word, or a
/// lost lease. Shoppers already going get `drain` to finish before they are cancelled (zero cancels them at once,
/// and no further request leaves).
public final class StopSignal: Sendable {
    private let state = Mutex<(reason: String, drain: Duration)?>(nil)

    public init() {}

    /// Requests the stop; the first reason is kept, and the shortest drain asked for wins.
    public func stop(reason: String, drain: Duration = .seconds(2)) {
        state.withLock { current in
            if let existing = current {
                current = (existing.reason, min(existing.drain, drain))
            } else {
                current = (reason, drain)
            }
        }
    }

    public var isStopped: Bool { state.withLock { $0 != nil } }
    public var reason: String? { state.withLock { $0?.reason } }
    public var drain: Duration? { state.withLock { $0?.drain } }
}

/// Share changes posted to a running worker (from the coordinator), taken by its scheduler.
public final class ShareChanges: Sendable {
    private let pending = Mutex<[(share: Share, from: Double)]>([])

    public init() {}

    public func post(_ share: Share, from: Double) {
        pending.withLock { $0.append((share, from)) }
    }

    func take() -> [(share: Share, from: Double)] {
        pending.withLock { changes in
            defer { changes.removeAll() }
            return changes
        }
    }
}
