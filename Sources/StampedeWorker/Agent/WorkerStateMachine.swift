public import StampedeClock
public import StampedeCore

/// What a worker is told to play: the run, its share from a second, and the shared start instant.
public struct WorkerAssignment: Sendable, Equatable {
    public var run: RunRecord
    public var share: Share
    /// The share applies to arrivals due from this second of the run (0 for a worker there from the start).
    public var fromSecond: Int
    /// The start instant on the coordinator's clock.
    public var coordinatorStart: MonotonicInstant
    public var maxShoppers: Int
    public var connections: Int
    public var requestTimeout: Duration

    public init(
        run: RunRecord, share: Share, fromSecond: Int, coordinatorStart: MonotonicInstant, maxShoppers: Int,
        connections: Int, requestTimeout: Duration
    ) {
        self.run = run
        self.share = share
        self.fromSecond = fromSecond
        self.coordinatorStart = coordinatorStart
        self.maxShoppers = maxShoppers
        self.connections = connections
        self.requestTimeout = requestTimeout
    }
}

/// The worker's side of a run as one value: every input is an ``Event`` at an instant, every output an
/// ``Action`` for the ``WorkerAgent`` to carry out. No clock, no sockets.
///
/// ```
/// connecting ─opened─► probingClock ─welcome─► registered ─assignment─► running(share)
///                          │                       │                        │ stop, lease, gone, Ctrl-C
///                          │                       │                        ▼
///                          └──── refused, gone, ───┴─── lease ────► finished ◄─run ended── draining(reason)
///                                 Ctrl-C                                (reason)
/// ```
///
/// Clock probes go one at a time, each when the last is answered (or lost); hello follows the last. The lease
/// runs from the last word heard: silence for its length stops the load. Once finished, the worker waits briefly
/// for the coordinator to close the stream (so its last messages arrive), except when the coordinator's silence
/// or absence is why it stopped.
public struct WorkerStateMachine: Sendable {
    public struct Settings: Sendable, Equatable {
        public var clockProbes: Int
        /// A probe not answered within this long counts as lost; the next one goes.
        public var probeTimeout: Duration
        /// The lease until the coordinator's welcome says otherwise.
        public var lease: Duration
        /// After finishing, how long to wait for the coordinator to close the stream.
        public var leaveTimeout: Duration

        public init(
            clockProbes: Int = 8, probeTimeout: Duration = .seconds(1), lease: Duration = .seconds(3),
            leaveTimeout: Duration = .seconds(5)
        ) {
            self.clockProbes = clockProbes
            self.probeTimeout = probeTimeout
            self.lease = lease
            self.leaveTimeout = leaveTimeout
        }
    }

    public enum State: Sendable, Equatable {
        /// The stream is opening. Can transition to `probingClock`, or to `finished` (Ctrl-C, refused).
        case connecting
        /// Measuring the clock offset, then saying hello. Can transition to `registered` (welcome) or `finished`.
        case probingClock
        /// Welcomed, waiting for an assignment. Can transition to `running` or `finished`.
        case registered
        /// Playing its share. Can transition to `draining` (a stop, the lease, the coordinator gone, Ctrl-C) or to
        /// `finished` (the plan is over).
        case running(Share)
        /// No new arrivals; shoppers going finish within the drain. Can transition to `finished`.
        case draining(StopReason)
        /// Done; waiting for the coordinator to close the stream, or leaving.
        case finished(StopReason)
    }

    public enum Event: Sendable {
        /// The stream to the coordinator is open.
        case opened
        case clockReply(sent: MonotonicInstant, coordinator: MonotonicInstant)
        case welcome(id: String, lease: Duration?)
        case assignment(WorkerAssignment)
        /// A message the worker cannot use (an assignment it cannot read).
        case unreadable(String)
        case reassignment(Share, from: Double)
        case heartbeat
        case stop(StopReason, drain: Duration)
        /// The coordinator's stream ended: closed (nil), or broken or refused (the failure).
        case streamEnded(StreamFailure?)
        case tick
        /// Ctrl-C (SIGINT/SIGTERM) at the worker.
        case shutdown
        /// The share's run is over: every shopper ended and the last interval went out.
        case runEnded
        case intervalClosed(IntervalReport)
    }

    /// Why the coordinator's stream ended badly.
    public enum StreamFailure: Sendable, Equatable {
        /// The coordinator would not take this worker (a wrong token, a refused certificate, the run is over).
        case refused(String)
        /// The coordinator could not be reached, or the stream broke.
        case broken(String)
    }

    public enum Action: Sendable, Equatable {
        case sendProbe(sequence: Int)
        case sendHello
        /// Play the share from `start` (on this worker's clock).
        case startRun(WorkerAssignment, start: MonotonicInstant)
        case changeShare(Share, from: Double)
        case stopRun(StopReason, drain: Duration)
        case sendInterval(IntervalReport)
        /// Say finished and close our side of the stream.
        case sendFinished(StopReason)
        /// End the agent.
        case leave
    }

    public let settings: Settings
    public private(set) var state = State.connecting
    public private(set) var id: String?
    public private(set) var lease: Duration
    public private(set) var offset = ClockOffset()
    public private(set) var intervalsSent = 0
    /// True when the stop came from the coordinator (its word), not from this worker.
    public private(set) var stoppedByCoordinator = false
    /// Why the worker could not take part, when it could not (refused, unreachable).
    public private(set) var failure: StreamFailure?
    private var probesSent = 0
    private var probeSentAt: MonotonicInstant?
    private var lastHeard: MonotonicInstant?
    private var finishedAt: MonotonicInstant?
    private var coordinatorGone = false
    private var pendingChanges: [(share: Share, from: Double)] = []

    public init(settings: Settings = Settings()) {
        self.settings = settings
        self.lease = settings.lease
    }

    public mutating func handle(_ event: Event, at now: MonotonicInstant) -> [Action] {
        switch event {
        case .opened:
            guard state == .connecting else { return [] }
            state = .probingClock
            return probe(now: now)
        case .clockReply(let sent, let coordinator):
            heard(now)
            offset.add(sent: sent.nanoseconds, remote: coordinator.nanoseconds, received: now.nanoseconds)
            guard state == .probingClock, probeSentAt != nil else { return [] }
            return probe(now: now)
        case .welcome(let id, let lease):
            heard(now)
            self.id = id
            if let lease, lease > .zero { self.lease = lease }
            if state == .probingClock { state = .registered }
            return []
        case .assignment(let assignment):
            heard(now)
            guard state == .registered || state == .probingClock else { return [] }
            guard let start = offset.local(assignment.coordinatorStart.nanoseconds) else {
                return finish(
                    .refused("no clock reply from the coordinator: the start instant cannot be placed"), now: now)
            }
            state = .running(assignment.share)
            var actions: [Action] = [.startRun(assignment, start: MonotonicInstant(nanoseconds: start))]
            actions += pendingChanges.map { .changeShare($0.share, from: $0.from) }
            pendingChanges.removeAll()
            return actions
        case .unreadable(let problem):
            heard(now)
            switch state {
            case .running: return drain(.refused(problem), drain: .zero, byCoordinator: false)
            case .draining, .finished: return []
            default: return finish(.refused(problem), now: now, leaving: true)
            }
        case .reassignment(let share, let from):
            heard(now)
            switch state {
            case .running:
                state = .running(share)
                return [.changeShare(share, from: from)]
            case .registered, .probingClock:
                pendingChanges.append((share, from))
                return []
            default:
                return []
            }
        case .heartbeat:
            heard(now)
            return []
        case .stop(let reason, let drain):
            heard(now)
            switch state {
            case .running: return self.drain(reason, drain: drain, byCoordinator: true)
            case .draining, .finished: return [.stopRun(reason, drain: drain)]
            default:
                stoppedByCoordinator = true
                if case .refused(let message) = reason { failure = failure ?? .refused(message) }
                return finish(reason, now: now, leaving: true)
            }
        case .streamEnded(let failure):
            coordinatorGone = true
            switch state {
            case .connecting, .probingClock, .registered:
                if let failure { self.failure = self.failure ?? failure }
                return finish(.coordinatorGone, now: now, leaving: true)
            case .running:
                return drain(.coordinatorGone, drain: .zero, byCoordinator: false)
            case .draining:
                return []
            case .finished:
                return [.leave]
            }
        case .tick:
            return tick(now: now)
        case .shutdown:
            switch state {
            case .running: return drain(.interrupted, drain: .milliseconds(500), byCoordinator: false)
            case .draining: return [.stopRun(.interrupted, drain: .milliseconds(500))]
            case .finished: return [.leave]
            default: return finish(.interrupted, now: now, leaving: true)
            }
        case .runEnded:
            let reason: StopReason
            switch state {
            case .running: reason = .planOver
            case .draining(let why): reason = why
            default: return []
            }
            let actions = finish(reason, now: now)
            // With nobody listening, or nobody in control, there is nothing to wait for.
            if coordinatorGone || reason.isLossOfControl { return actions + [.leave] }
            return actions
        case .intervalClosed(let report):
            switch state {
            case .running, .draining:
                intervalsSent += 1
                return [.sendInterval(report)]
            default:
                return []
            }
        }
    }

    /// The next clock probe, or hello after the last.
    private mutating func probe(now: MonotonicInstant) -> [Action] {
        guard probesSent < settings.clockProbes else {
            probeSentAt = nil
            return [.sendHello]
        }
        probesSent += 1
        probeSentAt = now
        return [.sendProbe(sequence: probesSent - 1)]
    }

    private mutating func tick(now: MonotonicInstant) -> [Action] {
        switch state {
        case .probingClock:
            if let sent = probeSentAt, sent.duration(to: now) >= settings.probeTimeout { return probe(now: now) }
            return []
        case .registered, .running:
            guard let lastHeard, lastHeard.duration(to: now) > lease else { return [] }
            let reason = StopReason.leaseExpired(after: lease)
            if case .running = state { return drain(reason, drain: .zero, byCoordinator: false) }
            return finish(reason, now: now, leaving: true)
        case .finished:
            if let finishedAt, finishedAt.duration(to: now) >= settings.leaveTimeout { return [.leave] }
            return []
        case .connecting, .draining:
            return []
        }
    }

    private mutating func drain(_ reason: StopReason, drain: Duration, byCoordinator: Bool) -> [Action] {
        state = .draining(reason)
        stoppedByCoordinator = byCoordinator
        return [.stopRun(reason, drain: drain)]
    }

    private mutating func finish(_ reason: StopReason, now: MonotonicInstant, leaving: Bool = false) -> [Action] {
        let wasPlaying: Bool
        switch state {
        case .finished: return leaving ? [.leave] : []
        case .running, .draining: wasPlaying = true
        case .connecting, .probingClock, .registered: wasPlaying = false
        }
        state = .finished(reason)
        finishedAt = now
        // A worker that never played just leaves: its stream closing takes it off the coordinator's list.
        var actions: [Action] = wasPlaying && !coordinatorGone ? [.sendFinished(reason)] : []
        if leaving { actions.append(.leave) }
        return actions
    }

    private mutating func heard(_ now: MonotonicInstant) {
        lastHeard = max(lastHeard ?? now, now)
    }

    /// Why the worker stopped, once it did.
    public var stopReason: StopReason? {
        if case .finished(let reason) = state { return reason }
        if case .draining(let reason) = state { return reason }
        return nil
    }
}
