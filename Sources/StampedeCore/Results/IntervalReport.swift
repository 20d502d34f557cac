/// What a worker recorded during one second of the run: the unit that is streamed, merged and written to disk.
public struct IntervalReport: Codable, Sendable, Equatable {
    public var worker: String
    /// The interval covers real seconds [second, second + 1) since the start of the run.
    public var second: Int
    public var slots: [SlotRecord]
    public var steps: [StepRecord]
    /// Shoppers still going when the interval closed.
    public var inFlight: Int
    /// Arrivals due and not yet started when the interval closed: a worker holds them while its requests wait for
    /// a connection (all of them busy), and counts them as dropped if the run ends first.
    public var waiting: Int
    /// What shoppers were told per SKU during the interval.
    public var ledger: [String: LedgerCounts]
    /// What shoppers were told about their payments during the interval.
    public var payments: [PaymentEvent]
    /// The first failure of each kind per step in the interval, with what it was about.
    public var samples: [ErrorSample]

    public init(
        worker: String, second: Int, slots: [SlotRecord] = [], steps: [StepRecord] = [], inFlight: Int = 0,
        waiting: Int = 0, ledger: [String: LedgerCounts] = [:], payments: [PaymentEvent] = [],
        samples: [ErrorSample] = []
    ) {
        self.samples = samples
        self.worker = worker
        self.second = second
        self.slots = slots
        self.steps = steps
        self.inFlight = inFlight
        self.waiting = waiting
        self.ledger = ledger
        self.payments = payments
    }

    enum CodingKeys: String, CodingKey {
        case worker, second, slots, steps, inFlight, waiting, ledger, payments, samples
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        worker = try container.decode(String.self, forKey: .worker)
        second = try container.decode(Int.self, forKey: .second)
        slots = try container.decode([SlotRecord].self, forKey: .slots)
        steps = try container.decode([StepRecord].self, forKey: .steps)
        inFlight = try container.decode(Int.self, forKey: .inFlight)
        // Written since the worker said how many arrivals it held; a line of an older run has none.
        waiting = try container.decodeIfPresent(Int.self, forKey: .waiting) ?? 0
        ledger = try container.decodeIfPresent([String: LedgerCounts].self, forKey: .ledger) ?? [:]
        payments = try container.decodeIfPresent([PaymentEvent].self, forKey: .payments) ?? []
        samples = try container.decodeIfPresent([ErrorSample].self, forKey: .samples) ?? []
    }
}

/// Shoppers that arrived in one slot of the plan, as counted during one interval.
public struct SlotRecord: Codable, Sendable, Equatable {
    public var slot: Int
    public var counts: ArrivalCounts

    public init(slot: Int, counts: ArrivalCounts) {
        self.slot = slot
        self.counts = counts
    }
}

/// Requests of one step, intended to start in one slot, that completed during one interval.
public struct StepRecord: Codable, Sendable, Equatable {
    public var slot: Int
    /// The step's position in the scenario (``StepID``).
    public var flow: Int
    public var step: Int
    public var counts: RequestCounts
    /// Latency from the intended start (coordinated-omission safe).
    public var corrected: SparseHistogram
    /// Latency from the moment the request was actually sent.
    public var uncorrected: SparseHistogram

    public init(
        slot: Int, step id: StepID, counts: RequestCounts, corrected: SparseHistogram, uncorrected: SparseHistogram
    ) {
        self.slot = slot
        self.flow = id.flow
        self.step = id.step
        self.counts = counts
        self.corrected = corrected
        self.uncorrected = uncorrected
    }

    public var id: StepID { StepID(flow: flow, step: step) }
}

extension IntervalReport {
    /// What is wrong with a report received from elsewhere, checked against the plan, or nil when it is sound.
    public func problem(slotCount: Int, maxSecond: Int, scenario: Scenario) -> String? {
        guard second >= 0, second <= maxSecond else {
            return "expected an interval between 0 and \(maxSecond), found \(second)"
        }
        for record in slots where !(0..<slotCount).contains(record.slot) {
            return "expected slots 0..<\(slotCount), found \(record.slot)"
        }
        for record in steps {
            guard (0..<slotCount).contains(record.slot) else {
                return "expected slots 0..<\(slotCount), found \(record.slot)"
            }
            guard scenario.contains(record.id) else { return "step \(record.id) is not in the scenario" }
            guard record.counts.requests >= 0,
                record.counts.requests == record.counts.ok + record.counts.failed
                    + record.counts.throttled
            else { return "step \(record.id): requests do not add up to ok + failed + throttled" }
        }
        return nil
    }
}
