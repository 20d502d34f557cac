import Synchronization

/// Faults a test or an operator turns on in a running shop: a fixed delay on a route, or a stall of every request
/// until an instant.
public final class ShopFaults: Sendable {
    public enum Route: String, Sendable, CaseIterable, Codable {
        case products
        case product
        case cart
        case order
        case pay
    }

    private struct State {
        var delays: [Route: Duration] = [:]
        var stallUntil: ContinuousClock.Instant?
    }

    private let state = Mutex(State())

    public init() {}

    public func setDelay(_ delay: Duration?, for route: Route) {
        state.withLock { $0.delays[route] = delay }
    }

    /// Every request arriving before `instant` waits until then (and any request already waiting).
    public func stall(until instant: ContinuousClock.Instant) {
        state.withLock { $0.stallUntil = instant }
    }

    public func stall(for duration: Duration) { stall(until: .now + duration) }

    public func clear() { state.withLock { $0 = State() } }

    /// Waits as the faults say for a request to `route`.
    func apply(_ route: Route) async {
        let (stallUntil, delay) = state.withLock { ($0.stallUntil, $0.delays[route]) }
        if let stallUntil, stallUntil > .now { try? await Task.sleep(until: stallUntil, clock: .continuous) }
        if let delay { try? await Task.sleep(for: delay) }
    }
}
