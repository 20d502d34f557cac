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
