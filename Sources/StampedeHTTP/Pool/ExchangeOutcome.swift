import Synchronization

/// Where a request's outcome meets the task waiting for it: the first of the exchange's completion and the
/// task's cancellation resumes the task, the other is dropped. One small object a request, where a promise, a
/// second promise for the cancellation, a cascade and a future's wait cost five allocations.
final class ExchangeOutcome: Sendable {
    typealias Outcome = Result<ExchangeResult, HTTPClientError>

    private enum State {
        case pending
        case waiting(UnsafeContinuation<Outcome, Never>)
        /// Resumed, or cancelled before the task waited (it then resumes at once).
        case done(Outcome?)
    }

    private let state = Mutex(State.pending)

    /// Installs the waiting task's continuation; false if the outcome is already there (the continuation was
    /// resumed with it, and the request must not be sent).
    func wait(_ continuation: UnsafeContinuation<Outcome, Never>) -> Bool {
        let early = state.withLock { state -> Outcome? in
            if case .done(let outcome) = state {
                state = .done(nil)
                return outcome
            }
            state = .waiting(continuation)
            return nil
        }
        guard let early else { return true }
        continuation.resume(returning: early)
        return false
    }

    /// The outcome: resumes the task if it is the first.
    func resume(_ outcome: Outcome) {
        let waiting = state.withLock { state -> UnsafeContinuation<Outcome, Never>? in
            switch state {
            case .pending:
                state = .done(outcome)
                return nil
            case .waiting(let continuation):
                state = .done(nil)
                return continuation
            case .done:
                return nil
            }
        }
        waiting?.resume(returning: outcome)
    }
}
