import Synchronization

/// Asks a running worker to stop sending new arrivals (graceful stop: Ctrl-C, the coordinator's word, a lost
/// lease). Shoppers already going get a short time to finish.
public final class StopSignal: Sendable {
    private let state = Mutex<String?>(nil)

    public init() {}

    /// Requests the stop; the first reason given is kept.
    public func stop(reason: String) {
        state.withLock { if $0 == nil { $0 = reason } }
    }

    public var isStopped: Bool { state.withLock { $0 != nil } }
    public var reason: String? { state.withLock { $0 } }
}
