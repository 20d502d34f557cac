import Synchronization

/// Faults a test or an operator turns on in a running shop: a fixed delay on a route, a stall of every request
/// until an instant, or failing every request (500) from an instant. Those the shop was started with survive a
/// reset (`POST /admin/reset`, a scenario's setup): they are what the shop is, for that run.
public final class ShopFaults: Sendable {
    public enum Route: String, Sendable, CaseIterable, Codable {
        case products
        case product
        case cart
        case order
        case pay
    }

    /// The faults a shop is started with: a delay per route, and failing every request from some time after the
    /// start.
    public struct Settings: Sendable, Equatable {
        public var delays: [Route: Duration]
        public var failAfter: Duration?

        public init(delays: [Route: Duration] = [:], failAfter: Duration? = nil) {
            self.delays = delays
            self.failAfter = failAfter
        }
    }

    private struct State {
        var delays: [Route: Duration] = [:]
        var stallUntil: ContinuousClock.Instant?
        var failingFrom: ContinuousClock.Instant?
    }

    /// What a failing shop answers with (a 500).
    public struct Failure: Error, CustomStringConvertible {
        public var description: String { "the shop is failing (a fault was set)" }
    }

    private let state: Mutex<State>
    /// What `clear()` comes back to: the faults the shop was started with.
    private let configured: State

    public init(_ settings: Settings = Settings(), start: ContinuousClock.Instant = .now) {
        configured = State(delays: settings.delays, failingFrom: settings.failAfter.map { start + $0 })
        state = Mutex(configured)
    }

    public func setDelay(_ delay: Duration?, for route: Route) {
        state.withLock { $0.delays[route] = delay }
    }

    /// Every request arriving before `instant` waits until then (and any request already waiting).
    public func stall(until instant: ContinuousClock.Instant) {
        state.withLock { $0.stallUntil = instant }
    }

    public func stall(for duration: Duration) { stall(until: .now + duration) }

    /// Every request from `instant` on fails (500), until cleared.
    public func fail(from instant: ContinuousClock.Instant = .now) {
        state.withLock { $0.failingFrom = instant }
    }

    /// Back to the faults the shop was started with (none, unless it was started with some).
    public func clear() { state.withLock { $0 = configured } }

    /// Waits as the faults say for a request to `route`, or fails it.
    func apply(_ route: Route) async throws {
        let (stallUntil, delay, failingFrom) = state.withLock { ($0.stallUntil, $0.delays[route], $0.failingFrom) }
        if let failingFrom, failingFrom <= .now { throw Failure() }
        if let stallUntil, stallUntil > .now { try? await Task.sleep(until: stallUntil, clock: .continuous) }
        if let delay { try? await Task.sleep(for: delay) }
    }
}
