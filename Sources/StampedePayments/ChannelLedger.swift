import StampedeClock
import StampedeCore
import Synchronization

/// A channel's state: its ledger of charges (the truth the drill's verdict reads), its fault schedule, and when
/// that schedule's clock started.
final class ChannelLedger: Sendable {
    struct State {
        var charges: [ChargeRecord] = []
        var byKey: [String: Int] = [:]
        var schedule = FaultSchedule()
        var origin: MonotonicInstant?
        var next = 1
    }

    let channel: String
    /// The clock the faults follow (the machine's, or a test's manual clock).
    let clock: any MonotonicClock
    private let state = Mutex(State())

    init(channel: String, clock: any MonotonicClock) {
        self.channel = channel
        self.clock = clock
    }

    /// What came of a charge.
    enum Outcome: Equatable {
        /// Charged now, or earlier under the same key for the same order and amount (a retry: no second charge).
        case charged(ChargeRecord)
        /// The key names another charge (another order or amount): refused, as gateways refuse a key reused with
        /// other parameters; answering with the first charge would tell a checkout that a second order was paid.
        case keyTaken(by: ChargeRecord)
    }

    /// Charges an order, once per idempotency key.
    func charge(_ request: ChargeRequest) -> Outcome {
        state.withLock { state in
            if let key = request.idempotencyKey, let index = state.byKey[key], state.charges[index].succeeded {
                let earlier = state.charges[index]
                return earlier.order == request.order && earlier.amount == request.amount
                    ? .charged(earlier) : .keyTaken(by: earlier)
            }
            let record = ChargeRecord(
                id: "\(channel)-\(state.next)", order: request.order, amount: request.amount,
                idempotencyKey: request.idempotencyKey, succeeded: true, channel: channel)
            state.next += 1
            state.charges.append(record)
            if let key = request.idempotencyKey { state.byKey[key] = state.charges.count - 1 }
            return .charged(record)
        }
    }

    func charges(order: String) -> [ChargeRecord] { state.withLock { $0.charges.filter { $0.order == order } } }

    var all: [ChargeRecord] { state.withLock { $0.charges } }

    /// The faults, on a clock starting `startIn` from now.
    func schedule(_ schedule: FaultSchedule, startIn: Duration) {
        let origin = clock.now.advanced(by: startIn)
        state.withLock {
            $0.schedule = schedule
            $0.origin = origin
        }
    }

    /// What the channel does now.
    func behaviour() -> ChannelFault? {
        let now = clock.now
        return state.withLock { state in
            guard let origin = state.origin else { return nil }
            return state.schedule.behaviour(at: origin.duration(to: now).seconds)
        }
    }

    func reset() { state.withLock { $0 = State() } }
}
