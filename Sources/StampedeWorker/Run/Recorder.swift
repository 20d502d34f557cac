public import StampedeCore
import Synchronization

/// Counts and latencies of the interval in progress. Shoppers record into it; once a second the worker closes
/// the interval, which hands back an ``IntervalReport`` and starts the next one.
///
/// Closing holds the lock only to swap the interval's accumulators out; encoding them happens outside it, and
/// their histograms come back reset as spares, so recording never waits on a report (the ledger's and the
/// payments' lists still grow as they are told things).
public final class Recorder: Sendable {
    public let worker: String
    private let state: Mutex<State>

    struct StepKey: Hashable {
        var slot: Int
        var step: StepID
    }

    struct StepAccumulator {
        var counts = RequestCounts()
        var corrected = LatencyHistogram()
        var uncorrected = LatencyHistogram()

        mutating func count(_ outcome: Outcome, correctedMicros: UInt64?, uncorrectedMicros: UInt64?) {
            counts.requests += 1
            outcome.count(ok: &counts.ok, throttled: &counts.throttled, failed: &counts.failed, labels: &counts.errors)
            if let correctedMicros { corrected.record(microseconds: correctedMicros) }
            if let uncorrectedMicros { uncorrected.record(microseconds: uncorrectedMicros) }
        }
    }

    struct State {
        var steps: [StepKey: StepAccumulator] = [:]
        var slots: [Int: ArrivalCounts] = [:]
        var ledger: [String: LedgerCounts] = [:]
        var payments: [PaymentEvent] = []
        var samples: [SampleKey: ErrorSample] = [:]
        /// Reset accumulators of earlier intervals, ready for reuse.
        var spares: [StepAccumulator] = []
        /// The second of the interval in progress.
        var openSecond = 0
        /// Arrivals due in a second after the one in progress (the interval's close is a little late): they count
        /// in their own second.
        var ahead: [Int: [Int: ArrivalCounts]] = [:]
    }

    struct SampleKey: Hashable {
        var step: StepID
        var label: ErrorLabel
    }

    public init(worker: String) {
        self.worker = worker
        self.state = Mutex(State())
    }

    /// An arrival came due in run second `dueSecond`: it either started (after `lagMicros` of scheduler lag) or was
    /// dropped. It counts in the interval of the second it was due in, even when that interval is not open yet.
    public func arrival(slot: Int, started: Bool, lagMicros: UInt64, dueSecond: Int = 0) {
        countArrivals(slot: slot, dueSecond: dueSecond) { counts in
            counts.planned += 1
            if started {
                counts.started += 1
                counts.maxStartLagMicros = max(counts.maxStartLagMicros, lagMicros)
            } else {
                counts.dropped += 1
            }
        }
    }

    /// `count` arrivals came due in run second `dueSecond` and were dropped, counted at once.
    public func dropped(_ count: Int, slot: Int, dueSecond: Int) {
        countArrivals(slot: slot, dueSecond: dueSecond) { counts in
            counts.planned += count
            counts.dropped += count
        }
    }

    /// Arrivals due in `dueSecond` count in that second's interval, even when it is not open yet.
    private func countArrivals(slot: Int, dueSecond: Int, _ count: (inout ArrivalCounts) -> Void) {
        state.withLock { state in
            if dueSecond > state.openSecond {
                count(&state.ahead[dueSecond, default: [:]][slot, default: ArrivalCounts()])
            } else {
                count(&state.slots[slot, default: ArrivalCounts()])
            }
        }
    }

    /// How a shopper or a request ended.
    public enum Outcome: Sendable, Equatable {
        /// The shopper finished its flow; the request passed its checks.
        case ok
        /// Answered 429: the target is rate limiting, which is behaviour, not failure.
        case throttled
        case failed(ErrorLabel)

        /// Adds this ending to the counter it goes to.
        func count(ok: inout Int, throttled: inout Int, failed: inout Int, labels: inout [ErrorLabel: Int]) {
            switch self {
            case .ok: ok += 1
            case .throttled: throttled += 1
            case .failed(let label):
                failed += 1
                labels[label, default: 0] += 1
            }
        }
    }

    public typealias ShopperOutcome = Outcome
    public typealias RequestOutcome = Outcome

    public func shopperEnded(slot: Int, _ outcome: ShopperOutcome) {
        state.withLock { state in
            func add(_ counts: inout ArrivalCounts) {
                outcome.count(
                    ok: &counts.succeeded, throttled: &counts.throttled, failed: &counts.failed,
                    labels: &counts.failures)
            }
            add(&state.slots[slot, default: ArrivalCounts()])
        }
    }

    /// One request of a step. The corrected latency is there for every request that was due, whatever its outcome
    /// (a timeout counts at the time it gave up); the uncorrected one only for a response.
    public func request(
        slot: Int, step: StepID, _ outcome: RequestOutcome, correctedMicros: UInt64?, uncorrectedMicros: UInt64?
    ) {
        state.withLock { state in
            // One hash lookup a request: the accumulator is changed in place through its index.
            let key = StepKey(slot: slot, step: step)
            let index: Dictionary<StepKey, StepAccumulator>.Index
            if let found = state.steps.index(forKey: key) {
                index = found
            } else {
                state.steps[key] = state.spares.popLast() ?? StepAccumulator()
                index = state.steps.index(forKey: key)!
            }
            state.steps.values[index].count(
                outcome, correctedMicros: correctedMicros, uncorrectedMicros: uncorrectedMicros)
        }
    }

    /// A response the ledger counts: an order confirmed (at `micros` since the start), sold out, or failed.
    public func ledger(sku: String, _ entry: LedgerRule.Entry, atMicros micros: UInt64) {
        state.withLock { state in
            var counts = state.ledger[sku] ?? LedgerCounts()
            switch entry {
            case .confirmed(let units):
                counts.confirmedUnits += units
                counts.confirmations += 1
                counts.confirmedAt.append(micros)
            case .soldOut: counts.soldOut += 1
            case .failed: counts.failed += 1
            }
            state.ledger[sku] = counts
        }
    }

    /// A failure with what it was about; the first of each kind per step in an interval is kept.
    public func sample(_ sample: ErrorSample) {
        state.withLock { state in
            let key = SampleKey(step: sample.id, label: sample.label)
            if state.samples[key] == nil { state.samples[key] = sample }
        }
    }

    /// What a shopper was told about a payment.
    public func payment(_ event: PaymentEvent) {
        state.withLock { $0.payments.append(event) }
    }

    /// Closes the interval in progress and starts the next, with the shoppers going (`inFlight`) and the arrivals
    /// held for a connection (`waiting`) at that moment. The `last` interval also takes every arrival counted ahead
    /// (nothing recorded is left behind).
    public func close(second: Int, inFlight: Int, waiting: Int = 0, last: Bool = false) -> IntervalReport {
        let (steps, slots, ledger, payments, samples) = state.withLock { state in
            if last {
                for (_, slots) in state.ahead {
                    for (slot, counts) in slots { state.slots[slot, default: ArrivalCounts()].add(counts) }
                }
                state.ahead.removeAll()
            }
            defer {
                state.steps.removeAll(keepingCapacity: true)
                state.ledger.removeAll(keepingCapacity: true)
                state.payments.removeAll(keepingCapacity: true)
                state.samples.removeAll()
                state.openSecond = second + 1
                state.slots = state.ahead.removeValue(forKey: second + 1) ?? [:]
            }
            return (state.steps, state.slots, state.ledger, state.payments, state.samples)
        }
        var report = IntervalReport(
            worker: worker, second: second, inFlight: inFlight, waiting: waiting, ledger: ledger, payments: payments,
            samples: samples.values.sorted { ($0.id, $0.label) < ($1.id, $1.label) })
        report.slots = slots.keys.sorted().map { SlotRecord(slot: $0, counts: slots[$0]!) }
        var spares: [StepAccumulator] = []
        for key in steps.keys.sorted(by: { ($0.slot, $0.step) < ($1.slot, $1.step) }) {
            var accumulator = steps[key]!
            report.steps.append(
                StepRecord(
                    slot: key.slot, step: key.step, counts: accumulator.counts, corrected: accumulator.corrected.sparse,
                    uncorrected: accumulator.uncorrected.sparse))
            accumulator.counts = RequestCounts()
            accumulator.corrected.reset()
            accumulator.uncorrected.reset()
            spares.append(accumulator)
        }
        state.withLock { state in
            // Keep as many spares as keys were in use; more would only hold memory.
            state.spares.append(contentsOf: spares.prefix(max(0, steps.count - state.spares.count)))
        }
        return report
    }
}
