public import StampedeCore

/// A message that cannot be turned back into results.
public struct ProtocolError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension IntervalReport {
    /// The interval as it travels.
    public func message() -> Stampede_V1_Interval {
        var message = Stampede_V1_Interval()
        message.second = Int32(clamping: second)
        message.inFlight = Int32(clamping: inFlight)
        message.waiting = Int32(clamping: waiting)
        message.slots = slots.map { record in
            var counts = Stampede_V1_SlotCounts()
            counts.slot = Int32(clamping: record.slot)
            counts.planned = UInt64(record.counts.planned)
            counts.started = UInt64(record.counts.started)
            counts.dropped = UInt64(record.counts.dropped)
            counts.succeeded = UInt64(record.counts.succeeded)
            counts.failed = UInt64(record.counts.failed)
            counts.throttled = UInt64(record.counts.throttled)
            counts.failures = Dictionary(
                uniqueKeysWithValues: record.counts.failures.map { ($0.key.rawValue, UInt64($0.value)) })
            counts.maxStartLagMicros = record.counts.maxStartLagMicros
            return counts
        }
        message.steps = steps.map { record in
            var stats = Stampede_V1_StepStats()
            stats.slot = Int32(clamping: record.slot)
            stats.flow = Int32(clamping: record.flow)
            stats.step = Int32(clamping: record.step)
            stats.requests = UInt64(record.counts.requests)
            stats.ok = UInt64(record.counts.ok)
            stats.failed = UInt64(record.counts.failed)
            stats.throttled = UInt64(record.counts.throttled)
            stats.errors = Dictionary(
                uniqueKeysWithValues: record.counts.errors.map { ($0.key.rawValue, UInt64($0.value)) })
            stats.corrected = Stampede_V1_Histogram(record.corrected)
            stats.uncorrected = Stampede_V1_Histogram(record.uncorrected)
            return stats
        }
        message.ledger = ledger.keys.sorted().map { sku in
            let counts = ledger[sku]!
            var entry = Stampede_V1_LedgerCounts()
            entry.sku = sku
            entry.confirmedUnits = UInt64(counts.confirmedUnits)
            entry.confirmations = UInt64(counts.confirmations)
            entry.soldOut = UInt64(counts.soldOut)
            entry.failed = UInt64(counts.failed)
            var previous: UInt64 = 0
            entry.confirmedAtDeltas = counts.confirmedAt.sorted().map { time in
                defer { previous = time }
                return time - previous
            }
            return entry
        }
        message.payments = payments.map { event in
            var entry = Stampede_V1_PaymentEvent()
            entry.order = event.order
            entry.outcome =
                switch event.outcome {
                case .paid: .paid
                case .failed: .failed
                case .unknown: .unknown
                }
            entry.channel = event.channel ?? ""
            entry.atMicros = event.at
            return entry
        }
        message.samples = samples.map { sample in
            var entry = Stampede_V1_ErrorSample()
            entry.flow = Int32(clamping: sample.flow)
            entry.step = Int32(clamping: sample.step)
            entry.label = sample.label.rawValue
            entry.detail = sample.detail
            entry.atMicros = sample.at
            return entry
        }
        return message
    }

    /// The interval from a message, checked: every count fits, every histogram is sound (that its slots and steps
    /// are in the plan is for the receiver to check). The worker name comes from the connection, not the message.
    public init(_ message: Stampede_V1_Interval, worker: String) throws(ProtocolError) {
        func count(_ value: UInt64, _ what: String) throws(ProtocolError) -> Int {
            guard value <= UInt64(Int32.max) * 16 else { throw ProtocolError("\(what) is implausibly large: \(value)") }
            return Int(value)
        }
        var slots: [SlotRecord] = []
        for counts in message.slots {
            var record = ArrivalCounts()
            record.planned = try count(counts.planned, "planned")
            record.started = try count(counts.started, "started")
            record.dropped = try count(counts.dropped, "dropped")
            record.succeeded = try count(counts.succeeded, "succeeded")
            record.failed = try count(counts.failed, "failed")
            record.throttled = try count(counts.throttled, "throttled")
            for (label, value) in counts.failures {
                record.failures[ErrorLabel(rawValue: label)] = try count(value, label)
            }
            record.maxStartLagMicros = counts.maxStartLagMicros
            slots.append(SlotRecord(slot: Int(counts.slot), counts: record))
        }
        var steps: [StepRecord] = []
        for stats in message.steps {
            guard stats.flow >= 0, stats.step >= 0 else {
                throw ProtocolError("step \(stats.flow)/\(stats.step) is negative")
            }
            var counts = RequestCounts()
            counts.requests = try count(stats.requests, "requests")
            counts.ok = try count(stats.ok, "ok")
            counts.failed = try count(stats.failed, "failed")
            counts.throttled = try count(stats.throttled, "throttled")
            for (label, value) in stats.errors { counts.errors[ErrorLabel(rawValue: label)] = try count(value, label) }
            steps.append(
                StepRecord(
                    slot: Int(stats.slot), step: StepID(flow: Int(stats.flow), step: Int(stats.step)), counts: counts,
                    corrected: try stats.corrected.sparse(), uncorrected: try stats.uncorrected.sparse()))
        }
        var ledger: [String: LedgerCounts] = [:]
        for entry in message.ledger {
            var counts = LedgerCounts()
            counts.confirmedUnits = try count(entry.confirmedUnits, "confirmed units")
            counts.confirmations = try count(entry.confirmations, "confirmations")
            counts.soldOut = try count(entry.soldOut, "sold out")
            counts.failed = try count(entry.failed, "failed")
            var running: UInt64 = 0
            for delta in entry.confirmedAtDeltas {
                let (sum, overflow) = running.addingReportingOverflow(delta)
                guard !overflow else { throw ProtocolError("a confirmation time overflows") }
                running = sum
                counts.confirmedAt.append(running)
            }
            guard counts.confirmedAt.count == counts.confirmations else {
                throw ProtocolError(
                    "\(entry.sku): \(counts.confirmations) confirmations but \(counts.confirmedAt.count) times")
            }
            ledger[entry.sku, default: LedgerCounts()].add(counts)
        }
        var payments: [PaymentEvent] = []
        for entry in message.payments {
            let outcome: PaymentEvent.Outcome
            switch entry.outcome {
            case .paid: outcome = .paid
            case .failed: outcome = .failed
            case .unknown: outcome = .unknown
            case .UNRECOGNIZED(let value): throw ProtocolError("unknown payment outcome \(value)")
            }
            payments.append(
                PaymentEvent(
                    order: entry.order, outcome: outcome, channel: entry.channel.isEmpty ? nil : entry.channel,
                    at: entry.atMicros))
        }
        var samples: [ErrorSample] = []
        for entry in message.samples.prefix(Self.maxSamples) {
            guard entry.flow >= 0, entry.step >= 0 else { throw ProtocolError("a sample's step is negative") }
            samples.append(
                ErrorSample(
                    step: StepID(flow: Int(entry.flow), step: Int(entry.step)),
                    label: ErrorLabel(rawValue: entry.label),
                    detail: String(entry.detail.prefix(500)), at: entry.atMicros))
        }
        self.init(
            worker: worker, second: Int(message.second), slots: slots, steps: steps,
            inFlight: Int(max(0, message.inFlight)), waiting: Int(max(0, message.waiting)), ledger: ledger,
            payments: payments, samples: samples)
    }
}

extension IntervalReport {
    /// At most this many samples of an interval are kept (a worker sends one per step and kind).
    static let maxSamples = 256
}

extension Stampede_V1_Histogram {
    /// Values as deltas: small numbers, so their varints stay short.
    public init(_ sparse: SparseHistogram) {
        self.init()
        var previous: UInt64 = 0
        valueDeltas = sparse.values.map { value in
            defer { previous = value }
            return value &- previous
        }
        counts = sparse.counts
    }

    public func sparse() throws(ProtocolError) -> SparseHistogram {
        var values: [UInt64] = []
        values.reserveCapacity(valueDeltas.count)
        var running: UInt64 = 0
        for delta in valueDeltas {
            let (sum, overflow) = running.addingReportingOverflow(delta)
            guard !overflow else { throw ProtocolError("a histogram value overflows") }
            running = sum
            values.append(running)
        }
        if let problem = SparseHistogram.problem(values: values, counts: counts) {
            throw ProtocolError("a histogram is malformed: \(problem)")
        }
        return SparseHistogram(values: values, counts: counts)
    }
}

extension Share {
    public var keyRanges: [Stampede_V1_KeyRange] {
        ranges.map { range in
            var message = Stampede_V1_KeyRange()
            message.lower = range.lowerBound
            message.upper = range.upperBound
            return message
        }
    }

    public init(keyRanges: [Stampede_V1_KeyRange]) throws(ProtocolError) {
        var ranges: [ClosedRange<UInt64>] = []
        for range in keyRanges {
            guard range.lower <= range.upper else { throw ProtocolError("a key range runs backwards") }
            ranges.append(range.lower...range.upper)
        }
        self.init(ranges: ranges)
    }
}
