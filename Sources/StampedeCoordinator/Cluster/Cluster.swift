import Foundation
public import StampedeCore
import StampedeClock
import StampedeProtocol
import StampedeReport
import SwiftProtobuf

/// How the coordinator runs its workers.
public struct ClusterSettings: Sendable {
    public var expectedWorkers: Int
    /// A worker that hears nothing for this long stops on its own.
    public var lease: Duration
    public var heartbeat: Duration
    public var silenceBeforeLost: Duration
    public var maxShoppersPerWorker: Int
    public var connectionsPerWorker: Int
    public var requestTimeout: Duration
    /// How long shoppers may go on after Ctrl-C at the coordinator before they are cancelled.
    public var stopDrain: Duration

    public init(
        expectedWorkers: Int, lease: Duration = .seconds(3), heartbeat: Duration = .milliseconds(500),
        silenceBeforeLost: Duration = .seconds(2), maxShoppersPerWorker: Int = 10_000, connectionsPerWorker: Int = 256,
        requestTimeout: Duration = .seconds(10), stopDrain: Duration = .milliseconds(500)
    ) {
        self.expectedWorkers = expectedWorkers
        self.lease = lease
        self.heartbeat = heartbeat
        self.silenceBeforeLost = silenceBeforeLost
        self.maxShoppersPerWorker = maxShoppersPerWorker
        self.connectionsPerWorker = connectionsPerWorker
        self.requestTimeout = requestTimeout
        self.stopDrain = stopDrain
    }
}

/// The coordinator's orchestrator: takes workers' hellos, intervals and disconnections, runs the
/// ``ClusterStateMachine``, sends what it decides, and feeds the ``RunSession``.
public actor Cluster {
    public let record: RunRecord
    public let plan: Plan
    public let settings: ClusterSettings
    public let session: RunSession
    let steps: StepIndex
    private var machine: ClusterStateMachine
    private var links: [String: AsyncStream<Stampede_V1_CoordinatorMessage>.Continuation] = [:]
    private var waiting: [CheckedContinuation<Outcome, Never>] = []
    private var outcome: Outcome?
    private let notify: @Sendable (String) -> Void
    private var lastHeartbeat: Int64 = 0
    /// Intervals merged.
    public private(set) var mergedIntervals = 0

    public struct Outcome: Sendable {
        public var report: RunReport
        public var consoleReport: String
        public var interrupted: Bool
    }

    private let watch: GroundTruthWatch?
    private let conductor: DrillConductor?

    init(
        record: RunRecord, settings: ClusterSettings, directory: RunDirectory?, watch: GroundTruthWatch? = nil,
        conductor: DrillConductor? = nil, notify: @escaping @Sendable (String) -> Void
    ) throws {
        self.watch = watch
        self.conductor = conductor
        self.record = record
        self.plan = try record.plan()
        self.settings = settings
        self.steps = StepIndex(record.scenario)
        self.session = RunSession(record: record, plan: plan, directory: directory, progress: notify)
        self.notify = notify
        self.machine = ClusterStateMachine(
            settings: .init(
                expectedWorkers: settings.expectedWorkers, planSeconds: plan.duration,
                silenceBeforeLost: settings.silenceBeforeLost.nanoseconds,
                finishTimeout: settings.requestTimeout.nanoseconds + 20_000_000_000))
    }

    /// A worker's stream opened and it said hello. Nil (and the reason) when it is refused.
    func register(name: String, link: AsyncStream<Stampede_V1_CoordinatorMessage>.Continuation) async
        -> (id: String?, refusal: String?)
    {
        let now = ProcessClock.now()
        let (id, refusal, actions) = machine.register(name: name, now: now)
        guard let id else { return (nil, refusal) }
        links[id] = link
        var welcome = Stampede_V1_Welcome()
        welcome.workerID = id
        welcome.leaseMillis = UInt32(settings.lease.nanoseconds / 1_000_000)
        welcome.heartbeatMillis = UInt32(settings.heartbeat.nanoseconds / 1_000_000)
        link.yield(.with { $0.kind = .welcome(welcome) })
        notify("worker \(id) joined (\(machine.workers.count) of \(settings.expectedWorkers))")
        await perform(actions, now: now)
        return (id, nil)
    }

    func receive(_ message: Stampede_V1_Interval, from id: String) async {
        let now = ProcessClock.now()
        guard machine.interval(id, second: Int(message.second), now: now) else { return }
        do {
            let interval = try IntervalReport(message, worker: id, steps: steps)
            await session.receive(interval)
        } catch {
            notify("refused an interval from \(id): \(error)")
        }
        mergedIntervals += 1
    }

    func heard(from id: String) {
        machine.heard(id, now: ProcessClock.now())
    }

    func finished(_ id: String) async {
        let now = ProcessClock.now()
        await session.setStatus(.finished, of: id)
        await perform(machine.finished(id, now: now), now: now)
    }

    func disconnected(_ id: String) async {
        let now = ProcessClock.now()
        links[id]?.finish()
        links[id] = nil
        await perform(machine.disconnected(id, now: now), now: now)
    }

    /// Stops the run: workers stop sending within `stopDrain`, and the report is written with what arrived.
    public func stop(reason: String) async {
        let now = ProcessClock.now()
        notify("stopping: \(reason)")
        await perform(machine.stop(reason: reason, now: now), now: now)
    }

    /// Drives time: losses, deadlines, heartbeats. Returns when the run is complete.
    public func run() async -> Outcome {
        while outcome == nil {
            let now = ProcessClock.now()
            if now - lastHeartbeat >= settings.heartbeat.nanoseconds {
                lastHeartbeat = now
                let beat = Stampede_V1_CoordinatorMessage.with { $0.kind = .heartbeat(.with { $0.coordinatorNanos = now }) }
                for link in links.values { link.yield(beat) }
            }
            await perform(machine.tick(now: now), now: now)
            if outcome != nil { break }
            do {
                try await Task.sleep(for: .milliseconds(50))
            } catch {
                // Cancelled: write what arrived, now.
                await perform([.complete(interrupted: true)], now: ProcessClock.now())
            }
        }
        return outcome!
    }

    /// Waits for the run to complete (for a caller other than ``run()``).
    public func completion() async -> Outcome {
        if let outcome { return outcome }
        return await withCheckedContinuation { waiting.append($0) }
    }

    public var phase: ClusterStateMachine.Phase { machine.phase }
    /// The shared start instant, once the run has one.
    public var start: Int64? { machine.start }
    public var workers: [ClusterStateMachine.Worker] { machine.workers }

    private func perform(_ actions: [ClusterStateMachine.Action], now: Int64) async {
        for action in actions {
            switch action {
            case .assign(let worker, let share, let fromSecond, let start):
                var assignment = Stampede_V1_Assignment()
                assignment.runRecordJson = (try? JSONEncoder().encode(record)) ?? Data()
                assignment.share = share.keyRanges
                assignment.startCoordinatorNanos = start
                assignment.maxShoppers = UInt32(settings.maxShoppersPerWorker)
                assignment.connections = UInt32(settings.connectionsPerWorker)
                assignment.requestTimeoutMillis = UInt32(settings.requestTimeout.nanoseconds / 1_000_000)
                assignment.fromSecond = Int32(fromSecond)
                links[worker]?.yield(.with { $0.kind = .assignment(assignment) })
                if fromSecond > 0 {
                    notify("worker \(worker) joins the run from second \(fromSecond) with \(Format.percent(share.fraction)) of it")
                } else if worker == machine.workers.last?.id {
                    let seconds = Double(start - now) / 1e9
                    notify("all \(machine.workers.count) workers here; the run starts in \(Format.fixed(seconds, 1)) s")
                }
            case .reassign(let worker, let share, let fromSecond):
                var change = Stampede_V1_Reassignment()
                change.share = share.keyRanges
                change.fromSecond = Int32(fromSecond)
                links[worker]?.yield(.with { $0.kind = .reassignment(change) })
            case .lost(let worker, let share, let gapFrom, let gapTo, let at):
                let notSent = ArrivalSequence.count(
                    plan: plan, process: record.arrivals, seed: record.seed, share: share, from: gapFrom, to: gapTo)
                await session.markLost(GapSummary(
                    worker: worker, lostAt: at, from: gapFrom, to: gapTo, share: share.fraction, plannedNotSent: notSent))
                // If it can still hear, it must stop: its arrivals now belong to others.
                links[worker]?.yield(.with { $0.kind = .stop(.with { $0.reason = "declared lost" }) })
                links[worker]?.finish()
                links[worker] = nil
                notify("worker \(worker) lost at \(Format.fixed(at, 1)) s; its share goes to the others from second "
                       + "\(Int(gapTo)); \(notSent) planned arrivals in [\(Int(gapFrom)), \(Int(gapTo))) s not sent")
            case .stopWorkers(let reason):
                let stop = Stampede_V1_CoordinatorMessage.with {
                    $0.kind = .stop(.with {
                        $0.reason = reason
                        $0.drainMillis = UInt32(settings.stopDrain.nanoseconds / 1_000_000)
                    })
                }
                for link in links.values { link.yield(stop) }
            case .complete(let interrupted):
                let seconds = machine.start.map { Double(now - $0) / 1e9 } ?? 0
                if let watch, await watch.hasSource {
                    notify("reading the target's books")
                    let truth = await watch.readAfter(atSecond: seconds)
                    if let problem = truth.problem { notify("the oversell verdict is unverified: \(problem)") }
                    await session.setGroundTruth(truth)
                }
                if let conductor {
                    notify("reading the payment channels' ledgers")
                    let drill = await conductor.gather()
                    if let problem = drill.problem { notify("the payment verdict is unverified: \(problem)") }
                    await session.setDrill(drill)
                }
                let report = await session.report(
                    actualSeconds: max(0, seconds), interrupted: interrupted, startNanos: machine.start)
                let text = ConsoleReport.render(report)
                do {
                    try session.directory?.writeReport(try JSONReport.encode(report), text: text)
                    try await session.writeDistributions()
                } catch {
                    notify("cannot write the report: \(error)")
                }
                let finished = Outcome(report: report, consoleReport: text, interrupted: interrupted)
                outcome = finished
                for link in links.values { link.finish() }
                links.removeAll()
                for continuation in waiting { continuation.resume(returning: finished) }
                waiting.removeAll()
            }
        }
    }
}

extension Duration {
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
