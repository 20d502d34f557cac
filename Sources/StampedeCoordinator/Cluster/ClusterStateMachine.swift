public import StampedeClock
public import StampedeCore

/// The coordinator's bookkeeping of its workers as a value type: each event returns the actions to carry out.
/// No clock, no sockets: instants are passed in, so every rule is tested directly.
///
/// Rules: the run starts `startDelay` after the expected number of workers said hello, with shares proportional to
/// the capacity each said it has (equal by default). A worker
/// silent for `silenceBeforeLost` (or disconnected) is lost: its share is split among the survivors from the
/// next whole second at least `handoverMargin` away, and the arrivals of its share due until then are its gap.
/// A worker that joins late gets its proportional share from such a second, taken from everyone. The run is complete when
/// every worker has finished or been lost, or when a stop or the finish deadline runs out; a run whose workers do
/// not all say hello within the registration timeout is complete (interrupted) without starting.
public struct ClusterStateMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        public var expectedWorkers: Int
        public var planSeconds: Double
        public var startDelay: Duration
        public var silenceBeforeLost: Duration
        public var handoverMargin: Duration
        /// After the plan's end, how long to wait for the workers' last intervals.
        public var finishTimeout: Duration
        /// After a stop, how long to wait for the workers' last intervals.
        public var stopTimeout: Duration
        /// How long to wait for every expected worker before giving up; nil waits for ever.
        public var registrationTimeout: Duration?

        public init(
            expectedWorkers: Int, planSeconds: Double, startDelay: Duration = .seconds(1),
            silenceBeforeLost: Duration = .seconds(2), handoverMargin: Duration = .milliseconds(500),
            finishTimeout: Duration = .seconds(30), stopTimeout: Duration = .seconds(3),
            registrationTimeout: Duration? = .seconds(60)
        ) {
            self.registrationTimeout = registrationTimeout
            self.expectedWorkers = expectedWorkers
            self.planSeconds = planSeconds
            self.startDelay = startDelay
            self.silenceBeforeLost = silenceBeforeLost
            self.handoverMargin = handoverMargin
            self.finishTimeout = finishTimeout
            self.stopTimeout = stopTimeout
        }
    }

    public enum Phase: Sendable, Equatable {
        case registering
        case running
        case stopping(since: MonotonicInstant)
        case complete
    }

    public struct Worker: Sendable, Equatable {
        public enum Status: Sendable, Equatable {
            case waiting
            case active
            case finished
            case lost
        }

        public let id: String
        public var status: Status
        public var share: Share
        public var lastHeard: MonotonicInstant
        /// The last interval received, -1 before the first.
        public var lastSecond: Int
        /// What the worker said it can do (its cores): shares are proportional to it.
        public var capacity: UInt64 = 1
    }

    public enum Action: Sendable, Equatable {
        case assign(worker: String, share: Share, fromSecond: Int, start: MonotonicInstant)
        case reassign(worker: String, share: Share, fromSecond: Int)
        /// A worker was lost: the arrivals of `share` due in [gapFrom, gapTo) seconds were not sent by anyone.
        case lost(worker: String, share: Share, gapFrom: Double, gapTo: Double, at: Double)
        case stopWorkers(StopReason)
        case complete(interrupted: Bool)
    }

    public let settings: Settings
    public private(set) var phase = Phase.registering
    /// The shared start instant, once known.
    public private(set) var start: MonotonicInstant?
    public private(set) var workers: [Worker] = []
    /// When registration began (the first tick or hello), for its deadline.
    private var registeringSince: MonotonicInstant?

    public init(settings: Settings) {
        self.settings = settings
    }

    /// A worker said hello. Returns its id, or why it is refused.
    public mutating func register(
        name: String, capacity: Int = 1, now: MonotonicInstant
    ) -> (id: String?, refusal: String?, actions: [Action]) {
        let capacity = UInt64(max(1, capacity))
        switch phase {
        case .stopping, .complete:
            return (nil, "the run is over", [])
        case .registering:
            registeringSince = registeringSince ?? now
            let id = uniqueID(name)
            workers.append(
                Worker(id: id, status: .waiting, share: .empty, lastHeard: now, lastSecond: -1, capacity: capacity))
            guard workers.count >= settings.expectedWorkers else { return (id, nil, []) }
            let begin = now.advanced(by: settings.startDelay)
            start = begin
            phase = .running
            let shares = Share.whole.split(weights: workers.map(\.capacity))
            var actions: [Action] = []
            for index in workers.indices {
                workers[index].status = .active
                workers[index].share = shares[index]
                actions.append(.assign(worker: workers[index].id, share: shares[index], fromSecond: 0, start: begin))
            }
            return (id, nil, actions)
        case .running:
            let id = uniqueID(name)
            let from = handoverSecond(now)
            let active = workers.indices.filter { workers[$0].status == .active }
            let shares = Share.whole.split(weights: active.map { workers[$0].capacity } + [capacity])
            var actions: [Action] = []
            for (part, index) in active.enumerated() {
                workers[index].share = shares[part]
                actions.append(.reassign(worker: workers[index].id, share: shares[part], fromSecond: from))
            }
            workers.append(
                Worker(
                    id: id, status: .active, share: shares[active.count], lastHeard: now, lastSecond: from - 1,
                    capacity: capacity))
            guard let start else { return (id, nil, actions) }
            actions.append(.assign(worker: id, share: shares[active.count], fromSecond: from, start: start))
            return (id, nil, actions)
        }
    }

    /// Any message from a worker.
    public mutating func heard(_ id: String, now: MonotonicInstant) {
        guard let index = index(of: id) else { return }
        workers[index].lastHeard = max(workers[index].lastHeard, now)
    }

    /// An interval report arrived. False when it must be ignored (the worker was already lost).
    public mutating func interval(_ id: String, second: Int, now: MonotonicInstant) -> Bool {
        guard let index = index(of: id), workers[index].status != .lost else { return false }
        workers[index].lastHeard = max(workers[index].lastHeard, now)
        workers[index].lastSecond = max(workers[index].lastSecond, second)
        return true
    }

    public mutating func finished(_ id: String, now: MonotonicInstant) -> [Action] {
        guard let index = index(of: id), workers[index].status == .active || workers[index].status == .waiting else {
            return []
        }
        workers[index].status = .finished
        return completionIfDone()
    }

    /// The worker's stream ended.
    public mutating func disconnected(_ id: String, now: MonotonicInstant) -> [Action] {
        guard let index = index(of: id) else { return [] }
        switch workers[index].status {
        case .waiting:
            workers.remove(at: index)
            return []
        case .active:
            return lose(index, now: now) + completionIfDone()
        case .finished, .lost:
            return []
        }
    }

    /// Time passes: silent workers are lost (unless `judgingSilence` is false: the coordinator has messages it
    /// has not read yet), deadlines run out.
    public mutating func tick(now: MonotonicInstant, judgingSilence: Bool = true) -> [Action] {
        switch phase {
        case .complete:
            return []
        case .registering:
            let since = registeringSince ?? now
            registeringSince = since
            guard let timeout = settings.registrationTimeout, since.duration(to: now) >= timeout else { return [] }
            phase = .complete
            let reason = StopReason.registrationDeadline(
                joined: workers.map(\.id).sorted(), expected: settings.expectedWorkers)
            return [.stopWorkers(reason), .complete(interrupted: true)]
        case .stopping(let since):
            if since.duration(to: now) >= settings.stopTimeout {
                phase = .complete
                return [.complete(interrupted: true)]
            }
            return []
        case .running:
            guard let start else { return [] }
            var actions: [Action] = []
            for index in workers.indices where judgingSilence && workers[index].status == .active {
                if max(workers[index].lastHeard, start).duration(to: now) > settings.silenceBeforeLost {
                    actions += lose(index, now: now)
                }
            }
            let planEnd = start.advanced(by: .seconds(double: settings.planSeconds))
            if planEnd.duration(to: now) >= settings.finishTimeout {
                phase = .complete
                return actions + [.complete(interrupted: false)]
            }
            return actions + completionIfDone()
        }
    }

    /// Stops the run (Ctrl-C at the coordinator).
    public mutating func stop(_ reason: StopReason, now: MonotonicInstant) -> [Action] {
        switch phase {
        case .registering:
            phase = .complete
            return [.complete(interrupted: true)]
        case .running:
            phase = .stopping(since: now)
            return [.stopWorkers(reason)] + completionIfDone()
        case .stopping, .complete:
            return []
        }
    }

    /// The run second at a monotonic instant.
    public func second(at now: MonotonicInstant) -> Double {
        guard let start else { return 0 }
        return start.duration(to: now).seconds
    }

    /// How many survivors take over a lost worker's share.
    static let heirsPerLoss = 16

    private mutating func lose(_ index: Int, now: MonotonicInstant) -> [Action] {
        let lostShare = workers[index].share
        workers[index].status = .lost
        let from = handoverSecond(now)
        var actions: [Action] = [
            .lost(
                worker: workers[index].id, share: lostShare, gapFrom: Double(workers[index].lastSecond + 1),
                gapTo: Double(from), at: second(at: now))
        ]
        // The heirs: a few survivors (the least splintered first), not all of them, so that losing workers from a
        // fleet of thousands costs a few messages each rather than one to every survivor.
        let survivors = workers.indices.filter { workers[$0].status == .active }
            .sorted { (workers[$0].share.ranges.count, $0) < (workers[$1].share.ranges.count, $1) }
            .prefix(Self.heirsPerLoss)
        guard !survivors.isEmpty, !lostShare.ranges.isEmpty else { return actions }
        let parts = lostShare.split(weights: survivors.map { workers[$0].capacity })
        for (part, survivor) in zip(parts, survivors) {
            workers[survivor].share = workers[survivor].share.merged(with: part)
            actions.append(.reassign(worker: workers[survivor].id, share: workers[survivor].share, fromSecond: from))
        }
        return actions
    }

    private mutating func completionIfDone() -> [Action] {
        let done = !workers.isEmpty && workers.allSatisfy { $0.status == .finished || $0.status == .lost }
        switch phase {
        case .running where done:
            phase = .complete
            return [.complete(interrupted: false)]
        case .stopping where done:
            phase = .complete
            return [.complete(interrupted: true)]
        default:
            return []
        }
    }

    /// The first whole run second at least `handoverMargin` from now.
    private func handoverSecond(_ now: MonotonicInstant) -> Int {
        guard let start else { return 0 }
        let earliest = start.duration(to: now.advanced(by: settings.handoverMargin)).seconds
        return max(0, Int(earliest.rounded(.up)))
    }

    private func index(of id: String) -> Int? { workers.firstIndex { $0.id == id } }

    private func uniqueID(_ name: String) -> String {
        let base = name.isEmpty ? "worker" : name
        var id = base
        var suffix = 2
        while workers.contains(where: { $0.id == id }) {
            id = "\(base)-\(suffix)"
            suffix += 1
        }
        return id
    }
}
