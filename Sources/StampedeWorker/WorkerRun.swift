public import Logging
public import StampedeCore
public import StampedeHTTP
import Synchronization

/// How a worker runs its share.
public struct WorkerSettings: Sendable {
    public var name: String
    public var seed: UInt64
    public var arrivals: ArrivalProcess
    /// The most shoppers going at once; arrivals beyond it are dropped and counted, never queued.
    public var maxShoppers: Int
    public var requestTimeout: Duration
    /// After the last arrival, how long shoppers still going may take to finish before they are cancelled.
    public var drainTimeout: Duration
    /// The same after a stop was asked for.
    public var stopDrainTimeout: Duration
    /// Each shopper opens its own connection (and closes it when done) instead of using the pool.
    public var connectionPerShopper: Bool

    public init(
        name: String = "local", seed: UInt64 = 1, arrivals: ArrivalProcess = .poisson, maxShoppers: Int = 10_000,
        requestTimeout: Duration = .seconds(10), drainTimeout: Duration = .seconds(15),
        stopDrainTimeout: Duration = .seconds(2), connectionPerShopper: Bool = false
    ) {
        self.connectionPerShopper = connectionPerShopper
        self.name = name
        self.seed = seed
        self.arrivals = arrivals
        self.maxShoppers = maxShoppers
        self.requestTimeout = requestTimeout
        self.drainTimeout = drainTimeout
        self.stopDrainTimeout = stopDrainTimeout
    }
}

/// A worker's run of its share of a plan: the open-model scheduler, one task per shopper, and an interval report
/// every second. Arrivals follow the plan whether or not the target keeps up; when `maxShoppers` are already
/// going, an arrival is dropped and counted.
public struct WorkerRun: Sendable {
    public let plan: Plan
    public let runtime: ScenarioRuntime
    public let schedule: ShareSchedule
    public let settings: WorkerSettings
    public let recorder: Recorder
    public let logger: Logger
    /// Where the coordinator's share changes arrive while the run goes.
    public let changes = ShareChanges()

    public init(
        plan: Plan, runtime: ScenarioRuntime, schedule: ShareSchedule = .whole, settings: WorkerSettings, logger: Logger
    ) {
        self.plan = plan
        self.runtime = runtime
        self.schedule = schedule
        self.settings = settings
        self.recorder = Recorder(worker: settings.name, scenario: runtime.scenario)
        self.logger = logger
    }

    /// Runs from `start` (an instant on the continuous clock, possibly in the future) until the plan is over and
    /// shoppers have finished, or until `stop` is signalled. Every interval report goes to `emit`, in order;
    /// the last one is emitted after the last shopper ended, so nothing recorded is lost.
    public func run(
        client: HTTPClient, start: ContinuousClock.Instant, stop: StopSignal,
        emit: @escaping @Sendable (IntervalReport) async -> Void
    ) async {
        let progress = RunProgress()
        await withDiscardingTaskGroup { outer in
            outer.addTask {
                await tick(start: start, progress: progress, emit: emit)
            }
            await sendArrivals(client: client, start: start, stop: stop, progress: progress)
            progress.finished.store(true, ordering: .sequentiallyConsistent)
        }
    }

    /// Closes an interval every second on the second; after the arrivals and shoppers are done, closes the last.
    private func tick(
        start: ContinuousClock.Instant, progress: RunProgress, emit: @Sendable (IntervalReport) async -> Void
    ) async {
        var second = 0
        while true {
            let boundary = start + .seconds(second + 1)
            // Sleep in short steps so that the end of the run is noticed quickly.
            // (A cancelled task's sleep returns at once: stop looping then, or the thread spins.)
            while ContinuousClock.now < boundary && !progress.finished.load(ordering: .sequentiallyConsistent)
                && !Task.isCancelled
            {
                try? await Task.sleep(until: min(boundary, .now + .milliseconds(50)), clock: .continuous)
            }
            let done = progress.finished.load(ordering: .sequentiallyConsistent) || Task.isCancelled
            let report = recorder.close(second: second, inFlight: progress.inFlight.load(ordering: .relaxed))
            await emit(report)
            if done { return }
            second += 1
        }
    }

    private func sendArrivals(
        client: HTTPClient, start: ContinuousClock.Instant, stop: StopSignal, progress: RunProgress
    ) async {
        let shopper = Shopper(
            runtime: runtime, client: client, recorder: recorder, plan: plan, runStart: start,
            requestTimeout: settings.requestTimeout, seed: settings.seed, worker: settings.name,
            ownConnection: settings.connectionPerShopper)
        var arrivals = ArrivalSequence(plan: plan, process: settings.arrivals, seed: settings.seed, schedule: schedule)
        let recorder = self.recorder
        let maxShoppers = settings.maxShoppers
        await withDiscardingTaskGroup { shoppers in
            while !stop.isStopped && !Task.isCancelled {
                for change in changes.take() { arrivals.changeShare(to: change.share, from: change.from) }
                guard let next = arrivals.peekTime() else { break }
                let due = start + .seconds(double: next)
                if due > .now {
                    try? await Task.sleep(until: min(due, .now + .milliseconds(50)), clock: .continuous)
                    continue
                }
                let now = ContinuousClock.now
                for arrival in arrivals.take(dueBy: (now - start).seconds) {
                    let slot = arrival.burst.flatMap { plan.slotIndex(ofBurst: $0) } ?? plan.slotIndex(atReal: arrival.time)
                    guard progress.inFlight.load(ordering: .relaxed) < maxShoppers else {
                        recorder.arrival(slot: slot, started: false, lagMicros: 0)
                        continue
                    }
                    progress.inFlight.add(1, ordering: .relaxed)
                    recorder.arrival(
                        slot: slot, started: true, lagMicros: (now - (start + .seconds(double: arrival.time))).microseconds)
                    shoppers.addTask {
                        await shopper.run(arrival, slot: slot)
                        progress.inFlight.subtract(1, ordering: .relaxed)
                    }
                }
            }
            if let reason = stop.reason {
                logger.info("stopping: no new shoppers", metadata: ["reason": "\(reason)"])
            }
            let drain = stop.drain.map { min($0, settings.stopDrainTimeout) } ?? settings.drainTimeout
            let deadline = ContinuousClock.now + drain
            while progress.inFlight.load(ordering: .relaxed) > 0 {
                // A stop asked for during the drain shortens it.
                let limit = stop.drain.map { min(deadline, ContinuousClock.now + $0) } ?? deadline
                if ContinuousClock.now >= limit || Task.isCancelled {
                    logger.info("cancelling shoppers still going", metadata: ["count": "\(progress.inFlight.load(ordering: .relaxed))"])
                    shoppers.cancelAll()
                    break
                }
                try? await Task.sleep(for: .milliseconds(20))
            }
        }
    }
}

/// Shared counters of a run in progress.
final class RunProgress: Sendable {
    /// Shoppers going now.
    let inFlight = Atomic<Int>(0)
    /// Set once every shopper has ended.
    let finished = Atomic<Bool>(false)
}
