import StampedeCore
import Synchronization

/// A channel's state: its ledger of charges (the truth the drill's verdict reads), its fault schedule, and when
/// that schedule's clock started.
final class ChannelLedger: Sendable {
    struct State {
        var charges: [ChargeRecord] = []
        var byKey: [String: Int] = [:]
        var schedule = FaultSchedule()
        var origin: ContinuousClock.Instant = .now
        var next = 1
    }

    let channel: String
    private let state = Mutex(State())

    init(channel: String) {
        self.channel = channel
    }

    /// Charges an order, once per idempotency key: a repeat with a key already charged returns that charge.
    func charge(order: String, amount: Int, key: String?) -> ChargeRecord {
        state.withLock { state in
            if let key, let index = state.byKey[key], state.charges[index].succeeded { return state.charges[index] }
            let record = ChargeRecord(
                id: "\(channel)-\(state.next)", order: order, amount: amount, idempotencyKey: key, succeeded: true,
                channel: channel)
            state.next += 1
            state.charges.append(record)
            if let key { state.byKey[key] = state.charges.count - 1 }
            return record
        }
    }

    func charges(order: String) -> [ChargeRecord] { state.withLock { $0.charges.filter { $0.order == order } } }

    var all: [ChargeRecord] { state.withLock { $0.charges } }

    /// The faults, on a clock starting `startIn` from now.
    func schedule(_ schedule: FaultSchedule, startIn: Duration) {
        state.withLock {
            $0.schedule = schedule
            $0.origin = .now + startIn
        }
    }

    /// What the channel does now.
    func behaviour(now: ContinuousClock.Instant = .now) -> ChannelFault? {
        state.withLock { state in
            let (seconds, attoseconds) = (now - state.origin).components
            return state.schedule.behaviour(at: Double(seconds) + Double(attoseconds) * 1e-18)
        }
    }

    func reset() { state.withLock { $0 = State() } }
}
