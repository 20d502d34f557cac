public import StampedeClock
import Synchronization

/// A clock that moves only when told to: the control plane's leases, losses, hand-overs and heartbeats play out
/// on it in milliseconds of real time. Sleepers wake, in the order of their deadlines, when ``advance(by:)``
/// passes them.
public final class ManualClock: MonotonicClock {
    private struct Sleeper {
        var deadline: MonotonicInstant
        var continuation: CheckedContinuation<Void, any Error>
    }

    private struct State {
        var now: MonotonicInstant
        var sleepers: [UInt64: Sleeper] = [:]
        var nextID: UInt64 = 0
    }

    private let state: Mutex<State>

    /// Starts at an arbitrary instant far from zero (so that "before the start" is still a positive instant).
    public init(start: MonotonicInstant = MonotonicInstant(nanoseconds: 1_000_000_000_000)) {
        state = Mutex(State(now: start))
    }

    public var now: MonotonicInstant { state.withLock { $0.now } }

    public var minimumResolution: Duration { .nanoseconds(1) }

    /// How many tasks sleep on this clock now.
    public var sleepers: Int { state.withLock { $0.sleepers.count } }

    public func sleep(until deadline: MonotonicInstant, tolerance: Duration? = nil) async throws {
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            return state.nextID
        }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
                let outcome = state.withLock { state -> Result<Void, any Error>? in
                    if Task.isCancelled { return .failure(CancellationError()) }
                    if deadline <= state.now { return .success(()) }
                    state.sleepers[id] = Sleeper(deadline: deadline, continuation: continuation)
                    return nil
                }
                if let outcome { continuation.resume(with: outcome) }
            }
        } onCancel: {
            state.withLock { $0.sleepers.removeValue(forKey: id) }?.continuation.resume(throwing: CancellationError())
        }
    }

    /// Moves time forward, waking every sleeper whose deadline it passes (earliest first; each wakes at its own
    /// deadline's "now", so a sleeper sees the time it asked for).
    public func advance(by duration: Duration) {
        let target = now.advanced(by: duration)
        while true {
            let woken = state.withLock { state -> CheckedContinuation<Void, any Error>? in
                guard let (id, sleeper) = state.sleepers.min(by: { $0.value.deadline < $1.value.deadline }),
                    sleeper.deadline <= target
                else {
                    state.now = max(state.now, target)
                    return nil
                }
                state.sleepers[id] = nil
                state.now = max(state.now, sleeper.deadline)
                return sleeper.continuation
            }
            guard let woken else { return }
            woken.resume()
        }
    }

    /// Moves time forward in steps of `step`, pausing `pause` of real time after each so that the tasks woken can
    /// do their work (send, receive, sleep again), until `done` says so or `limit` of clock time has passed.
    /// Returns whether `done` said so.
    @discardableResult
    public func run(
        until done: @Sendable () async -> Bool, step: Duration = .milliseconds(50), pause: Duration = .milliseconds(4),
        limit: Duration = .seconds(600)
    ) async -> Bool {
        let end = now.advanced(by: limit)
        while now < end {
            if await done() { return true }
            advance(by: step)
            try? await Task.sleep(for: pause)
        }
        return await done()
    }
}
