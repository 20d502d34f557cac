/// What a rehearsal will send, worked out from its plan and scenario before anything is sent: the shoppers, the
/// requests each step expects (a step is reached with the product of the `proceed` chances before it, and sent
/// its mean number of repeats; `if:` conditions are taken as true), per period of the profile, and at the peak —
/// the shape's busiest instant, or a burst's second when its crowd sends more (a flash sale usually does).
public struct RunForecast: Sendable, Equatable {
    public struct StepLine: Sendable, Equatable {
        public var flow: String
        public var step: String
        /// Requests a shopper of the flow sends at this step, on average.
        public var perShopper: Double
        public var total: Double
    }

    public struct PeriodLine: Sendable, Equatable {
        public var label: String
        public var shoppers: Double
        public var requests: Double
    }

    public var shoppers: Double
    public var burstShoppers: Int
    public var steps: [StepLine]
    public var periods: [PeriodLine]
    /// Requests per shape shopper (weighted over the flows with a weight).
    public var requestsPerShopper: Double
    /// Arrivals per second at the busiest second and the requests that makes: the shape's peak, or a burst's
    /// second (its crowd spread over `within`, at least a second, on top of the shape there).
    public var peakArrivalsPerSecond: Double
    public var peakRequestsPerSecond: Double
    /// Shoppers in flight then (arrived, not yet through their flow): the most arrivals within a shopper's time
    /// anywhere in the run (Little's law where the rate holds that long), and a burst's crowd at most.
    public var peakShoppersInFlight: Double
    /// The burst whose second is the peak, when one is.
    public var peakBurst: String?
    /// A shopper's mean time from arrival to its last step, think times included (latency not counted).
    public var shopperSeconds: Double

    public init(plan: Plan, scenario: Scenario) {
        let weighted = scenario.flows.filter { $0.weight > 0 }
        let weightSum = weighted.reduce(0) { $0 + $1.weight }
        let shapeShoppers = plan.expectedArrivals(upTo: plan.duration)
        var burstByFlow: [String: Int] = [:]
        for slot in plan.slots[plan.timeSlotCount...] {
            let burst = plan.profile.bursts[slot.burst!]
            burstByFlow[burst.flow, default: 0] += burst.crowd
        }
        shoppers = shapeShoppers
        burstShoppers = plan.burstCrowd
        var steps: [StepLine] = []
        var perShopper = 0.0
        var seconds = 0.0
        // Per flow: requests and seconds of one shopper, for its bursts.
        var flowRequests: [String: Double] = [:]
        var flowTimes: [String: Double] = [:]
        for flow in scenario.flows {
            let share = flow.weight > 0 && weightSum > 0 ? flow.weight / weightSum : 0
            let flowShoppers = shapeShoppers * share + Double(burstByFlow[flow.name] ?? 0)
            var reach = 1.0
            var flowSeconds = 0.0
            for step in flow.steps {
                let repeats = Double(step.repeats.lowerBound + step.repeats.upperBound) / 2
                let expected = reach * repeats
                steps.append(
                    StepLine(flow: flow.name, step: step.name, perShopper: expected, total: flowShoppers * expected))
                perShopper += share * expected
                flowRequests[flow.name, default: 0] += expected
                flowSeconds += reach * repeats * (step.think.lowerBound + step.think.upperBound) / 2
                reach *= step.proceed
            }
            flowTimes[flow.name] = flowSeconds
            seconds += share * flowSeconds
        }
        self.steps = steps
        requestsPerShopper = perShopper
        shopperSeconds = seconds
        periods = plan.profile.periods.compactMap { period in
            let slots = plan.slots[..<plan.timeSlotCount].filter { $0.period == period.index }
            guard !slots.isEmpty else { return nil }
            let arrivals = slots.reduce(0.0) {
                $0 + plan.expectedArrivals(profileFrom: $1.start, to: $1.end)
            }
            return PeriodLine(label: period.label, shoppers: arrivals, requests: arrivals * perShopper)
        }
        peakArrivalsPerSecond = plan.scale.peakRate
        peakRequestsPerSecond = plan.scale.peakRate * perShopper
        let shapeInFlight = Self.mostArrivals(within: seconds, plan: plan)
        peakShoppersInFlight = shapeInFlight
        peakBurst = nil
        for slot in plan.slots[plan.timeSlotCount...] {
            guard let index = slot.burst else { continue }
            let burst = plan.profile.bursts[index]
            let base = plan.rate(atReal: plan.realTime(ofBurst: index))
            let spread = max(burst.within, 1)
            let crowd = Double(burst.crowd)
            let flowSeconds = flowTimes[burst.flow] ?? 0
            // The crowd's requests go out over its arrival or its flow, whichever is longer.
            let requests = base * perShopper + crowd * (flowRequests[burst.flow] ?? 0) / max(spread, flowSeconds)
            guard requests > peakRequestsPerSecond else { continue }
            peakArrivalsPerSecond = base + crowd / spread
            peakRequestsPerSecond = requests
            peakShoppersInFlight =
                min(base * seconds, shapeInFlight) + min(crowd, crowd / spread * max(flowSeconds, 1))
            peakBurst = burst.label
        }
    }

    /// The most arrivals the shape brings within any `seconds` of the run: the shoppers in flight where they are
    /// most. Where the rate holds for that long it is Little's law, rate × time; a run shorter than a shopper's
    /// flow, or a peak shorter (a spike played at 1440×), holds fewer. Windows end every eighth of `seconds` (at
    /// most a second, and at least 20,000 of them over the run).
    static func mostArrivals(within seconds: Double, plan: Plan) -> Double {
        guard seconds > 0, plan.duration > 0 else { return 0 }
        let step = max(min(seconds / 8, 1), plan.duration / 20_000)
        var most = 0.0
        var end = 0.0
        while true {
            end = min(end + step, plan.duration)
            most = max(most, plan.expectedArrivals(from: max(0, end - seconds), to: end))
            if end >= plan.duration { return most }
        }
    }
}

/// The fleet a peak needs, from measured figures (`docs/scale.md`): worker cores at a planned share of what one
/// core does, workers of a given size, and what the coordinator and the run directory take.
public struct FleetEstimate: Sendable, Equatable {
    public struct Assumptions: Sendable, Equatable {
        /// Requests a second one worker core sustains on this kind of flow.
        public var requestsPerCore: Double
        /// The share of that to plan for (an open-model generator near saturation delays its own sends).
        public var headroom: Double
        public var coresPerWorker: Int
        /// Coordinator CPU per merged interval of a 30-step scenario, and its memory per worker and base.
        public var coordinatorSecondsPerInterval: Double
        public var coordinatorBytesPerWorker: Double
        public var coordinatorBaseBytes: Double
        /// An interval on the wire and on disk, for 30 steps.
        public var intervalWireBytes: Double
        public var intervalDiskBytes: Double
        /// A shopper in flight on a worker: one thinking between its steps, parked off any task.
        public var bytesPerShopper: Double
        /// A connection with a request waiting on it: the connection's buffers and the shopper's task.
        public var bytesPerConnection: Double
        public var workerBaseBytes: Double

        /// The figures measured on this repository's machine (`docs/scale.md`).
        public static let measured = Assumptions(
            requestsPerCore: 45_000, headroom: 0.7, coresPerWorker: 2, coordinatorSecondsPerInterval: 490e-6,
            coordinatorBytesPerWorker: 125 * 1024, coordinatorBaseBytes: 60 * 1024 * 1024,
            intervalWireBytes: 12 * 1024, intervalDiskBytes: 36 * 1024, bytesPerShopper: 350,
            bytesPerConnection: 16 * 1024, workerBaseBytes: 40 * 1024 * 1024)
    }

    public var workerCores: Int
    public var workers: Int
    public var shoppersInFlight: Double
    /// A worker's memory with its share of the shoppers in flight and every connection it may open busy.
    public var workerBytes: Double
    /// Share of one core.
    public var coordinatorCPU: Double
    public var coordinatorBytes: Double
    public var coordinatorBytesPerSecondIn: Double
    public var runDirectoryBytesPerSecond: Double
    /// The largest fleet one coordinator core merges for this scenario.
    public var workersPerCoordinatorCore: Int

    public init(
        peakRequestsPerSecond: Double, shoppersInFlight: Double, steps: Int, connectionsPerWorker: Int,
        assumptions: Assumptions
    ) {
        let perCore = assumptions.requestsPerCore * assumptions.headroom
        workerCores = max(1, Int((peakRequestsPerSecond / perCore).rounded(.up)))
        workers = max(1, (workerCores + assumptions.coresPerWorker - 1) / assumptions.coresPerWorker)
        self.shoppersInFlight = shoppersInFlight
        workerBytes =
            assumptions.workerBaseBytes + shoppersInFlight / Double(workers) * assumptions.bytesPerShopper
            + Double(connectionsPerWorker) * assumptions.bytesPerConnection
        // Interval cost and size grow with the steps each one reports; measured at 30, and not scaled below
        // that (an interval's fixed costs do not shrink with fewer steps).
        let stepScale = Double(max(steps, 30)) / 30
        let perInterval = assumptions.coordinatorSecondsPerInterval * stepScale
        coordinatorCPU = Double(workers) * perInterval
        coordinatorBytes = assumptions.coordinatorBaseBytes + Double(workers) * assumptions.coordinatorBytesPerWorker
        coordinatorBytesPerSecondIn = Double(workers) * assumptions.intervalWireBytes * stepScale
        runDirectoryBytesPerSecond = Double(workers) * assumptions.intervalDiskBytes * stepScale
        workersPerCoordinatorCore = Int(0.9 / perInterval)
    }
}

/// Whether `--max-shoppers` holds what the peak puts on a worker. A worker starts an arrival only while fewer than
/// its cap are going or held; beyond it the arrival is dropped, and the target sees less load than the plan. The
/// peak's shoppers in flight (`RunForecast`: think times only, so a slow answer keeps more) over the workers is
/// what each holds then, at least.
public struct ShopperCap: Sendable, Equatable {
    /// Shoppers a worker holds at the peak second.
    public var perWorker: Double
    /// `--max-shoppers`.
    public var cap: Int

    public init(forecast: RunForecast, workers: Int, cap: Int) {
        perWorker = forecast.peakShoppersInFlight / Double(max(1, workers))
        self.cap = cap
    }

    /// A cap with a quarter to spare (arrivals come in clumps, answers take time), rounded up to a thousand.
    public var suggested: Int { max(1, Int((perWorker * 1.25 / 1000).rounded(.up))) * 1000 }

    /// The cap holds the peak with that to spare.
    public var fits: Bool { perWorker * 1.25 <= Double(cap) }
}
