public import StampedeClock
public import StampedeCore

/// A worker's stream to the coordinator, numbered as it opens (a worker has an id only once it said hello).
public struct ConnectionID: Hashable, Sendable, CustomStringConvertible {
    public let value: Int

    public init(_ value: Int) {
        self.value = value
    }

    public var description: String { "#\(value)" }
}

/// The coordinator as one value: the workers and their shares (``ClusterStateMachine``), the merge of their
/// intervals (``RunAggregator``), the progress shown, and the reads of the target around the run. Every input is
/// an ``Event`` at an instant; every output is an ``Action`` for the ``Coordinator`` service to carry out. No
/// clock, no sockets, no waiting: a read of the target is an action, and its result comes back as an event.
///
/// Phases: `registering` → `running` (every expected worker said hello; the start instant is set) → `stopping`
/// (a stop was asked for) → `verifying` (every worker finished or was lost, or a deadline ran out: the books are
/// read a last time and the drill's ledgers gathered) → `finished` (the report is made). A stop while registering
/// goes straight to `verifying`.
public struct CoordinatorStateMachine: Sendable {
    public enum Event: Sendable {
        case hello(ConnectionID, name: String, capacity: Int = 1)
        case interval(ConnectionID, Result<IntervalReport, ProtocolProblem>)
        /// A message arrived that waits for room in the run loop before it is handled: the worker is alive even
        /// when the coordinator is behind (a coordinator that lags must not lose its fleet).
        case heard(ConnectionID)
        case finished(ConnectionID, StopReason)
        /// The worker's stream ended (it left, broke, or was closed).
        case disconnected(ConnectionID)
        /// Time passes; `backlog` intervals wait for room in the run loop. While any wait, the coordinator is
        /// behind: silence is not judged (the workers spoke, it has not listened yet) and it says so once.
        case tick(backlog: Int = 0)
        /// Ctrl-C at the coordinator, or a stop asked for through the API.
        case stop(StopReason)
        case booksRead(BooksPhase, Result<InventoryBooks, GroundTruthError>)
        case drillArmed(problem: String?)
        case drillGathered(DrillRecord)
    }

    /// A message that could not be turned into an interval.
    public struct ProtocolProblem: Error, Sendable, Equatable {
        public var message: String
        public init(_ message: String) { self.message = message }
    }

    public enum Action: Sendable {
        case welcome(ConnectionID, worker: String)
        /// Refuse a hello: tell the worker why, and end its stream with an error.
        case refuse(ConnectionID, StopReason)
        case assign(ConnectionID, share: Share, fromSecond: Int, start: MonotonicInstant)
        case reassign(ConnectionID, share: Share, fromSecond: Int)
        case stop(ConnectionID, StopReason, drain: Duration)
        /// Nothing more to say to it: ending our side of the stream lets it leave.
        case close(ConnectionID)
        case heartbeat([ConnectionID])
        /// An interval was merged: write it to the run directory, count it in the metrics.
        case record(IntervalReport, Progress)
        /// Something learned besides the intervals (already folded in): write it to the run directory.
        case fact(RunFact)
        case emit(RunEvent)
        case readBooks(BooksPhase, second: Double, after: Duration)
        case armDrill(startIn: Duration)
        case gatherDrill(armProblem: String?)
        /// The run is over: write the report.
        case finish(RunReport)
    }

    public enum Phase: Sendable, Equatable {
        case registering
        case running
        case stopping
        case verifying
        case finished
    }

    public let record: RunRecord
    public let plan: Plan
    public let settings: CoordinatorSettings
    public private(set) var cluster: ClusterStateMachine
    public private(set) var aggregator: RunAggregator
    public private(set) var phase = Phase.registering
    public private(set) var mergedIntervals = 0
    /// Whether the run was told that the coordinator fell behind.
    private var saidBehind = false
    /// Why the run stopped before the end of its plan, when it did.
    public private(set) var stopReason: StopReason?
    private var workers: [ConnectionID: String] = [:]
    private var connections: [String: ConnectionID] = [:]
    private var lastHeartbeat: MonotonicInstant?
    /// Intervals received per second, and the last second shown: one progress event a second, once every
    /// expected worker has reported it (a lost worker never does: a later second shows the earlier ones).
    private var perSecond: [Int: Int] = [:]
    private var shownSecond = -1
    private var nextBooksReading: MonotonicInstant?
    private var booksInFlight = false
    private var drillArmProblem: String?
    private var verification: Verification?
    /// The thresholds that stop the run when they break, when they last were looked at, and since when each is
    /// broken.
    private let abortable: [Threshold]
    /// Intervals merged when the thresholds were last looked at (they are looked at again only on new figures).
    private var evaluatedUpTo: Int?
    /// Since when (run seconds) each `abort` threshold is broken.
    private var brokenSince: [String: Double] = [:]
    /// Whether any request has had an answer from the target yet.
    private var reach: TargetReach

    /// What the last readings wait for.
    private struct Verification: Sendable {
        var interrupted: Bool
        var completedAt: MonotonicInstant
        var booksPending: Bool
        var booksRequested = false
        var drillPending: Bool
    }

    public init(record: RunRecord, plan: Plan, settings: CoordinatorSettings) {
        self.record = record
        self.plan = plan
        self.settings = settings
        self.cluster = ClusterStateMachine(
            settings: .init(
                expectedWorkers: settings.expectedWorkers, planSeconds: plan.arrivalsEnd,
                startDelay: settings.startDelay,
                silenceBeforeLost: settings.silenceBeforeLost, handoverMargin: settings.handoverMargin,
                finishTimeout: settings.finishTimeout, stopTimeout: settings.stopTimeout,
                registrationTimeout: settings.registrationTimeout))
        self.aggregator = RunAggregator(plan: plan, scenario: record.scenario)
        self.abortable = (record.scenario.thresholds ?? []).filter(\.abortOnFail)
        self.reach = TargetReach(patience: settings.unreachedAfter.map { $0.seconds } ?? 0)
    }

    private var hasBooks: Bool { record.scenario.groundTruth != nil }
    private var hasDrill: Bool { record.scenario.drill != nil }

    /// The worker a connection belongs to, once it said hello.
    public func worker(on connection: ConnectionID) -> String? { workers[connection] }

    public mutating func handle(_ event: Event, at now: MonotonicInstant) -> [Action] {
        switch event {
        case .hello(let connection, let name, let capacity):
            return hello(connection, name: name, capacity: capacity, now: now)
        case .interval(let connection, let decoded): return interval(connection, decoded, now: now)
        case .heard(let connection):
            if let id = workers[connection] { cluster.heard(id, now: now) }
            return []
        case .finished(let connection, _):
            guard let id = workers[connection] else { return [.close(connection)] }
            cluster.heard(id, now: now)
            return [.close(connection), fact(.workerFinished(id))]
                + clusterActions(cluster.finished(id, now: now), now: now)
        case .disconnected(let connection):
            guard let id = workers.removeValue(forKey: connection) else { return [.close(connection)] }
            connections[id] = nil
            return [.close(connection)] + clusterActions(cluster.disconnected(id, now: now), now: now)
        case .tick(let backlog): return tick(now: now, backlog: backlog)
        case .stop(let reason):
            guard phase == .registering || phase == .running else { return [] }
            stopReason = stopReason ?? reason
            return clusterActions(cluster.stop(reason, now: now), now: now)
        case .booksRead(let readPhase, let reading):
            booksInFlight = false
            let recorded: Action
            switch reading {
            case .success(let books): recorded = fact(.books(readPhase, books))
            case .failure(let error): recorded = fact(.booksProblem(readPhase, error.message))
            }
            if readPhase == .after { verification?.booksPending = false }
            return [recorded] + readLastBooksIfDue(now: now) + finishIfVerified(now: now)
        case .drillArmed(let problem):
            drillArmProblem = drillArmProblem ?? problem
            return []
        case .drillGathered(let drill):
            verification?.drillPending = false
            var actions = [fact(.drill(drill))]
            if let problem = drill.problem {
                actions.append(
                    .emit(.problem(RunProblem(.unverified, "the payment verdict is unverified: \(problem)"))))
            }
            return actions + finishIfVerified(now: now)
        }
    }

    private mutating func hello(
        _ connection: ConnectionID, name: String, capacity: Int, now: MonotonicInstant
    ) -> [Action] {
        guard workers[connection] == nil else { return [] }
        let (id, refusal, actions) = cluster.register(name: name, capacity: capacity, now: now)
        guard let id else { return [.refuse(connection, .refused(refusal ?? "refused"))] }
        workers[connection] = id
        connections[id] = connection
        let joined = RunEvent.joined(
            worker: id, present: cluster.workers.count, expected: settings.expectedWorkers)
        return [.welcome(connection, worker: id), .emit(joined)] + clusterActions(actions, now: now)
    }

    private mutating func interval(
        _ connection: ConnectionID, _ decoded: Result<IntervalReport, ProtocolProblem>, now: MonotonicInstant
    ) -> [Action] {
        guard let id = workers[connection], phase != .finished else { return [] }
        var report: IntervalReport
        switch decoded {
        case .success(let value): report = value
        case .failure(let problem):
            cluster.heard(id, now: now)
            return [.emit(.problem(RunProblem(.refusedInterval, "refused an interval from \(id): \(problem.message)")))]
        }
        report.worker = id
        guard cluster.interval(id, second: report.second, now: now) else { return [] }
        if let problem = aggregator.problem(with: report) {
            return [.emit(.problem(RunProblem(.refusedInterval, "refused an interval from \(id): \(problem)")))]
        }
        aggregator.add(report)
        reach.add(report)
        mergedIntervals += 1
        var actions: [Action] = [.record(report, aggregator.progress(second: report.second))]
        perSecond[report.second, default: 0] += 1
        while shownSecond + 1 < report.second {
            shownSecond += 1
            actions.append(.emit(.progress(aggregator.progress(second: shownSecond))))
        }
        if report.second == shownSecond + 1 && perSecond[report.second, default: 0] >= max(1, settings.expectedWorkers)
        {
            shownSecond += 1
            actions.append(.emit(.progress(aggregator.progress(second: shownSecond))))
        }
        return actions
    }

    private mutating func tick(now: MonotonicInstant, backlog: Int) -> [Action] {
        var actions: [Action] = []
        if backlog > 0 && !saidBehind {
            saidBehind = true
            actions.append(
                .emit(
                    .problem(
                        RunProblem(
                            .behind,
                            "the coordinator is behind: \(backlog) intervals wait to be merged; the workers are held "
                                + "back and silence is not judged until it catches up (too many workers for one "
                                + "coordinator core; see docs/scale.md)"))))
        }
        if phase == .running || phase == .stopping || phase == .registering,
            lastHeartbeat.map({ $0.duration(to: now) >= settings.heartbeat }) ?? true
        {
            lastHeartbeat = now
            if !workers.isEmpty { actions.append(.heartbeat(workers.keys.sorted { $0.value < $1.value })) }
        }
        actions += clusterActions(cluster.tick(now: now, judgingSilence: backlog == 0), now: now)
        actions += checkThresholds(now: now)
        actions += checkReach(now: now)
        if phase == .running, let spec = record.scenario.groundTruth, spec.every > 0, !booksInFlight,
            let due = nextBooksReading, due <= now
        {
            nextBooksReading = now.advanced(by: .seconds(double: spec.every))
            booksInFlight = true
            actions.append(.readBooks(.during, second: cluster.second(at: now), after: .zero))
        }
        return actions
    }

    /// On every tick with new figures, the `abort` thresholds on everything merged so far: one that stays broken
    /// for its delay stops the run. A figure with no data yet (no requests) is not broken.
    private mutating func checkThresholds(now: MonotonicInstant) -> [Action] {
        guard phase == .running, !abortable.isEmpty, aggregator.lastSecond >= 0,
            evaluatedUpTo.map({ $0 < aggregator.intervalsMerged }) ?? true
        else { return [] }
        evaluatedUpTo = aggregator.intervalsMerged
        let second = cluster.second(at: now)
        for threshold in abortable {
            let result = aggregator.evaluate(threshold, verdicts: nil)
            guard result.outcome == .failed, result.observed != nil else {
                brokenSince[threshold.check] = nil
                continue
            }
            // Broken since the second of the newest figures that show it (the figures arrive a second late).
            let since = brokenSince[threshold.check] ?? Double(aggregator.lastSecond)
            brokenSince[threshold.check] = since
            guard second - since >= threshold.delay else { continue }
            let reason = StopReason.thresholdBroken(threshold.check)
            stopReason = stopReason ?? reason
            return [fact(.thresholdBroken(threshold.check, atSecond: second, observed: result.observedText))]
                + clusterActions(cluster.stop(reason, now: now), now: now)
        }
        return []
    }

    /// A target that has not answered one request in the patience after the first ended stops the run: it would
    /// measure nothing to its end.
    private mutating func checkReach(now: MonotonicInstant) -> [Action] {
        guard phase == .running, let what = reach.giveUp(atSecond: cluster.second(at: now)) else { return [] }
        let reason = StopReason.targetUnreached(what)
        stopReason = stopReason ?? reason
        return clusterActions(cluster.stop(reason, now: now), now: now)
    }

    /// Carries the cluster's decisions over to connections, the merge and the events.
    private mutating func clusterActions(_ decisions: [ClusterStateMachine.Action], now: MonotonicInstant) -> [Action] {
        var actions: [Action] = []
        for decision in decisions {
            switch decision {
            case .assign(let worker, let share, let fromSecond, let start):
                guard let connection = connections[worker] else { continue }
                actions.append(.assign(connection, share: share, fromSecond: fromSecond, start: start))
                if fromSecond > 0 {
                    actions.append(.emit(.joinedLate(worker: worker, fromSecond: fromSecond, share: share.fraction)))
                } else if worker == cluster.workers.last?.id {
                    actions += started(start: start, now: now)
                }
            case .reassign(let worker, let share, let fromSecond):
                guard let connection = connections[worker] else { continue }
                actions.append(.reassign(connection, share: share, fromSecond: fromSecond))
            case .lost(let worker, let share, let gapFrom, let gapTo, let at):
                let notSent = ArrivalSequence.count(
                    plan: plan, process: record.arrivals, seed: record.seed, share: share, from: gapFrom, to: gapTo)
                let gap = GapSummary(
                    worker: worker, lostAt: at, from: gapFrom, to: gapTo, share: share.fraction, plannedNotSent: notSent
                )
                actions.append(fact(.workerLost(gap)))
                if let connection = connections.removeValue(forKey: worker) {
                    workers[connection] = nil
                    // If it can still hear, it must stop: its arrivals now belong to others.
                    actions += [.stop(connection, .declaredLost, drain: .zero), .close(connection)]
                }
                actions.append(.emit(.lost(gap)))
            case .stopWorkers(let reason):
                phase = .stopping
                stopReason = stopReason ?? reason
                actions.append(.emit(.stopping(reason)))
                for connection in workers.keys.sorted(by: { $0.value < $1.value }) {
                    actions.append(.stop(connection, reason, drain: settings.stopDrain))
                }
            case .complete(let interrupted):
                actions += complete(interrupted: interrupted, now: now)
            }
        }
        if phase == .registering, cluster.phase == .running { phase = .running }
        return actions
    }

    /// The run has its start instant: the drill's faults are armed and the books read before the first arrival.
    private mutating func started(start: MonotonicInstant, now: MonotonicInstant) -> [Action] {
        phase = .running
        let startsIn = now.duration(to: start)
        var actions: [Action] = [
            fact(.started(startNanos: start.nanoseconds)),
            .emit(.starting(workers: cluster.workers.count, startsIn: startsIn)),
        ]
        if hasDrill { actions.append(.armDrill(startIn: startsIn)) }
        if let spec = record.scenario.groundTruth {
            booksInFlight = true
            nextBooksReading = now.advanced(by: .seconds(double: max(spec.every, 0)))
            actions.append(.readBooks(.before, second: -startsIn.seconds, after: .zero))
        }
        return actions
    }

    private mutating func complete(interrupted: Bool, now: MonotonicInstant) -> [Action] {
        phase = .verifying
        verification = Verification(
            interrupted: interrupted, completedAt: now, booksPending: hasBooks, drillPending: hasDrill)
        var actions: [Action] = []
        // A run that never started has nothing to verify.
        guard cluster.start != nil else {
            self.verification?.booksPending = false
            self.verification?.drillPending = false
            return finishIfVerified(now: now)
        }
        if hasBooks { actions.append(.emit(.verifying(what: "the target's books"))) }
        actions += readLastBooksIfDue(now: now)
        if hasDrill {
            actions += [
                .emit(.verifying(what: "the payment channels' ledgers")), .gatherDrill(armProblem: drillArmProblem),
            ]
        }
        return actions + finishIfVerified(now: now)
    }

    /// The final reading of the books, once no other reading is in flight, after the settle time.
    private mutating func readLastBooksIfDue(now: MonotonicInstant) -> [Action] {
        guard let verification, verification.booksPending, !verification.booksRequested, !booksInFlight,
            let spec = record.scenario.groundTruth
        else { return [] }
        self.verification?.booksRequested = true
        booksInFlight = true
        let second = cluster.second(at: verification.completedAt) + spec.settle
        return [.readBooks(.after, second: second, after: .seconds(double: spec.settle))]
    }

    private mutating func finishIfVerified(now: MonotonicInstant) -> [Action] {
        guard phase == .verifying, let verification, !verification.booksPending, !verification.drillPending else {
            return []
        }
        phase = .finished
        var actions: [Action] = []
        if hasBooks, let problem = aggregator.truth.problem {
            actions.append(.emit(.problem(RunProblem(.unverified, "the oversell verdict is unverified: \(problem)"))))
        }
        let seconds = cluster.start.map { max(0, $0.duration(to: verification.completedAt).seconds) } ?? 0
        actions.append(
            fact(.ended(actualSeconds: seconds, interrupted: verification.interrupted, reason: stopReason?.description))
        )
        actions.append(.finish(aggregator.report(record: record)))
        for connection in workers.keys.sorted(by: { $0.value < $1.value }) { actions.append(.close(connection)) }
        return actions
    }

    /// Folds what was learned into the merge, and says to write it down.
    private mutating func fact(_ fact: RunFact) -> Action {
        aggregator.apply(fact)
        return .fact(fact)
    }
}
