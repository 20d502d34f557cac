public import StampedeClock
public import StampedeCore
public import StampedeWorker
import Synchronization

/// A share played without a target, on a ``ManualClock``: at each whole second of the run it takes exactly the
/// arrivals its share owns (share changes and stops included), counts each as a shopper that started and
/// succeeded with one request, and sends the interval. For tests of the control plane: what the coordinator
/// merges is known arrival by arrival.
public struct ScriptedRunner: ShareRunner {
    public let clock: ManualClock
    public let log: ArrivalLog
    /// Each arrival's request latency in microseconds (the same arrival always takes the same time, whichever
    /// worker plays it).
    public let latency: @Sendable (Arrival) -> UInt64

    public init(
        clock: ManualClock, log: ArrivalLog = ArrivalLog(),
        latency: @escaping @Sendable (Arrival) -> UInt64 = { _ in 1_000 }
    ) {
        self.clock = clock
        self.log = log
        self.latency = latency
    }

    public func run(
        _ assignment: WorkerAssignment, plan: Plan, start: MonotonicInstant, worker: String, control: RunControl,
        emit: @escaping @Sendable (IntervalReport) -> Void
    ) async {
        let record = assignment.run
        var arrivals = ArrivalSequence(
            plan: plan, process: record.arrivals, seed: record.seed,
            schedule: ShareSchedule(assignment.share, from: Double(assignment.fromSecond)))
        let recorder = Recorder(worker: worker)
        var second = 0
        var stoppedAt: Double?
        while stoppedAt == nil, arrivals.peekTime() != nil {
            let boundary = start.advanced(by: .seconds(second + 1))
            await withTaskGroup(of: Void.self) { group in
                group.addTask { try? await clock.sleep(until: boundary) }
                group.addTask { await control.signalled() }
                await group.next()
                group.cancelAll()
            }
            if Task.isCancelled { break }
            for change in control.takeChanges() { arrivals.changeShare(to: change.share, from: change.from) }
            let now = min(start.duration(to: clock.now).seconds, Double(second + 1))
            if control.stopRequest != nil { stoppedAt = now }
            for arrival in arrivals.take(dueBy: now) {
                let slot = arrival.burst.flatMap { plan.slotIndex(ofBurst: $0) } ?? plan.slotIndex(atReal: arrival.time)
                recorder.arrival(slot: slot, started: true, lagMicros: 0, dueSecond: Int(arrival.time))
                let micros = latency(arrival)
                recorder.request(
                    slot: slot, step: StepID(flow: 0, step: 0), .ok, correctedMicros: micros, uncorrectedMicros: micros)
                recorder.shopperEnded(slot: slot, .ok)
                log.add(worker: worker, arrival: arrival, sentAt: clock.now)
            }
            if stoppedAt == nil, start.advanced(by: .seconds(second + 1)) <= clock.now {
                emit(recorder.close(second: second, inFlight: 0))
                second += 1
            }
        }
        emit(recorder.close(second: second, inFlight: 0, last: true))
    }
}

/// Every arrival a ``ScriptedRunner`` sent: by whom, and when on the manual clock.
public final class ArrivalLog: Sendable {
    public struct Entry: Sendable, Equatable {
        public var worker: String
        public var arrival: Arrival
        public var sentAt: MonotonicInstant
    }

    private let entries = Mutex<[Entry]>([])

    public init() {}

    func add(worker: String, arrival: Arrival, sentAt: MonotonicInstant) {
        entries.withLock { $0.append(Entry(worker: worker, arrival: arrival, sentAt: sentAt)) }
    }

    public var all: [Entry] { entries.withLock { $0 } }
}
