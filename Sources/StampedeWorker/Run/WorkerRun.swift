public import Logging
public import StampedeCore
public import StampedeHTTP
import Synchronization

/// How a worker runs its share.
public struct WorkerSettings: Sendable {
    public var name: String
    public var seed: UInt64
    public var arrivals: ArrivalProcess
    /// The most shoppers going at once (with the arrivals held while requests wait for a connection); arrivals
    /// beyond it are dropped and counted.
    public var maxShoppers: Int
    public var requestTimeout: Duration
    /// After the last arrival, how long shoppers still going may take to finish before they are cancelled.
    public var drainTimeout: Duration
    /// The longest drain after a stop was asked for (the stop may ask for less).
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

/// A worker's run of its share of a plan: the open-model scheduler, the shoppers (run by tasks kept from one
/// shopper to the next, ``ShopperRunners``), and an interval report every second. Arrivals follow the plan whether
/// or not the target keeps up; when `maxShoppers` are already going or held, an arrival is dropped and counted.
/// The scheduler sleeps until the next arrival is due (at a high rate, until the next batch: ``ReleasePacing``);
/// a stop or a share change wakes it (``RunControl``).
public struct WorkerRun: Sendable {
    public let plan: Plan
    public let runtime: ScenarioRuntime
    public let schedule: ShareSchedule
    public let settings: WorkerSettings
    public let recorder: Recorder
    public let logger: Logger

    public init(
        plan: Plan, runtime: ScenarioRuntime, schedule: ShareSchedule = .whole, settings: WorkerSettings, logger: Logger
    ) {
        self.plan = plan
        self.runtime = runtime
        self.schedule = schedule
        self.settings = settings
        self.recorder = Recorder(worker: settings.name)
        self.logger = logger
    }

    /// Runs from `start` (an instant on the continuous clock, possibly in the future) until the plan is over and
    /// shoppers have finished, or until `control` says stop. Every interval report goes to `emit`, in order; the
    /// last one is emitted after the last shopper ended, so nothing recorded is lost.
    public func run(
        client: HTTPClient, start: ContinuousClock.Instant, control: RunControl,
        emit: @escaping @Sendable (IntervalReport) -> Void
    ) async {
        let progress = RunProgress()
        await withTaskGroup(of: Int.self) { group in
            group.addTask { await closeIntervals(start: start, progress: progress, emit: emit) }
            // The scheduler runs on the client's first loop too: the shoppers it starts there are queued without
            // waking another thread.
            let loops = EventLoopTaskExecutor.all(of: client.eventLoopGroup)
            await withTaskExecutorPreference(loops[0]) {
                await sendArrivals(
                    client: client, start: ContinuousInstant(start), control: control, progress: progress, loops: loops)
            }
            // Every shopper has ended: the interval in progress is the last.
            group.cancelAll()
            let second = await group.next() ?? 0
            emit(
                recorder.close(
                    second: second, inFlight: progress.inFlight.load(ordering: .relaxed),
                    waiting: progress.waiting.load(ordering: .relaxed), last: true))
        }
    }

    /// Closes an interval every second on the second, until cancelled; returns the second in progress then.
    private func closeIntervals(
        start: ContinuousClock.Instant, progress: RunProgress, emit: @Sendable (IntervalReport) -> Void
    ) async -> Int {
        var second = 0
        while true {
            do {
                try await Task.sleep(until: start + .seconds(second + 1), clock: .continuous)
            } catch {
                return second
            }
            emit(
                recorder.close(
                    second: second, inFlight: progress.inFlight.load(ordering: .relaxed),
                    waiting: progress.waiting.load(ordering: .relaxed)))
            second += 1
        }
    }

    /// The scheduler: starts each arrival when it is due (or drops it when `maxShoppers` are going), starts each
    /// parked shopper again when its think is over, and after the last arrival (or a stop) lets the shoppers still
    /// going finish, at most the drain, before it cancels those left.
    private func sendArrivals(
        client: HTTPClient, start: ContinuousInstant, control: RunControl, progress: RunProgress,
        loops: [EventLoopTaskExecutor]
    ) async {
        let home = loops[0]
        let shopper = Shopper(
            runtime: runtime, client: client, recorder: recorder, plan: plan, runStart: start,
            requestTimeout: settings.requestTimeout, seed: settings.seed, worker: settings.name,
            ownConnection: settings.connectionPerShopper)
        var arrivals = ArrivalSequence(plan: plan, process: settings.arrivals, seed: settings.seed, schedule: schedule)
        let recorder = self.recorder
        let maxShoppers = settings.maxShoppers
        let parked = ParkedShoppers()
        // Each shopper runs on an event loop of the client (round-robin), where its requests go out and come back.
        var nextLoop = -1
        var drainBegan: ContinuousInstant?
        // At a high rate, shoppers start in batches: a wake-up per start would cost as much as its request.
        var pacing = ReleasePacing()
        var lastWake = ContinuousInstant.now
        // When the scheduler last slept (its loop polls meanwhile).
        var busySince = lastWake
        // When the scheduler last dropped an arrival for want of room.
        var droppedAt: ContinuousInstant?
        // Arrivals due but not started while requests wait for a connection (``HeldArrivals`` says why).
        var held = HeldArrivals()
        // The tasks that run the shoppers, one set per loop, kept from one shopper to the next.
        let runners = loops.map { _ in ShopperRunners() }
        let runner = LegRunner(shopper: shopper, parked: parked, progress: progress, runners: runners)
        await withDiscardingTaskGroup { shoppers in
            // A leg goes to a runner waiting on its loop, or to a new one. A new runner on the scheduler's own loop
            // starts at once, here, up to its first wait (its request is on the wire before the scheduler goes
            // on); a waiting one starts when the scheduler next waits. True when it was handed to a waiting
            // runner on the scheduler's loop.
            func launch(_ leg: ShopperRunners.Leg, on loop: Int) -> Bool {
                if runners[loop].hand(leg) { return loop == 0 }
                let number = runners[loop].enlist()
                if loop == 0 {
                    shoppers.addImmediateTask(executorPreference: home) {
                        await runner.run(leg, loop: loop, number: number)
                    }
                } else {
                    shoppers.addTask(executorPreference: loops[loop]) {
                        await runner.run(leg, loop: loop, number: number)
                    }
                }
                return false
            }
            func startShopper(_ next: HeldArrivals.Held) -> Bool {
                progress.inFlight.add(1, ordering: .relaxed)
                recorder.arrival(
                    slot: next.slot, started: true, lagMicros: next.lagMicros, dueSecond: Int(next.arrival.time))
                nextLoop = (nextLoop + 1) % loops.count
                return launch(.begin(next.arrival, slot: next.slot), on: nextLoop)
            }
            func dropHeld() {
                for dropped in held.removeAll() {
                    recorder.arrival(
                        slot: dropped.slot, started: false, lagMicros: 0, dueSecond: Int(dropped.arrival.time))
                }
                progress.waiting.store(0, ordering: .relaxed)
            }
            while true {
                // The scheduler goes round without waiting when it is behind the plan, or when the next arrival is
                // due before it could sleep. Past `longestWithoutPolling` of that, it pauses for `pollPause`, so
                // that its loop polls for the connections' events meanwhile (a connection refused, a response). A
                // yield would not do: NIO runs the tasks that are ready until none is left before it polls, and a
                // task that yields is ready again at once. Before, at a rate far beyond what a worker can count, a
                // refused connection was answered only after the drain, and its shoppers failed by timeout.
                var now = ContinuousInstant.now
                if now - busySince >= Self.longestWithoutPolling {
                    await home.sleep(until: now + Self.pollPause)
                    now = .now
                    busySince = now
                }
                for change in control.takeChanges() { arrivals.changeShare(to: change.share, from: change.from) }
                for thinking in parked.takeDue(by: now) {
                    pacing.observe(due: (thinking.intended - start).seconds)
                    _ = launch(.resume(thinking), on: thinking.loop)
                }
                // Held arrivals start, oldest first, while no request waits for a connection. One started by a new
                // runner here runs to its first wait, so a shopper that had to queue shows at once; the ones handed
                // to waiting runners here start when the scheduler yields, after every few of them.
                var handedSinceYield = 0
                while !held.isEmpty, client.waitingForConnection == 0, let next = held.popFirst() {
                    guard startShopper(next) else { continue }
                    handedSinceYield += 1
                    if handedSinceYield == ShopperRunners.startsBeforeLooking, !held.isEmpty {
                        await Task.yield()
                        handedSinceYield = 0
                    }
                }
                progress.waiting.store(held.count, ordering: .relaxed)
                var wake: ContinuousInstant
                if drainBegan == nil, control.stopRequest == nil, !Task.isCancelled, let next = arrivals.peekTime() {
                    wake = start + .seconds(double: next)
                    // A scheduler that dropped arrivals, and has no room yet, waits out the pacing's longest
                    // interval rather than go round to drop each arrival as it comes due (at 100,000,000/s one
                    // does every 10 ns, and going round for it took the shoppers' core).
                    if let droppedAt, progress.inFlight.load(ordering: .relaxed) + held.count >= maxShoppers {
                        wake = max(wake, droppedAt + .seconds(double: ReleasePacing.longest))
                    }
                    if wake <= now {
                        let elapsed = (now - start).seconds
                        // At most `arrivalsPerPass` a pass: a scheduler far behind goes round (and pauses) between.
                        var taken = 0
                        while taken < Self.arrivalsPerPass, let arrival = arrivals.takeNext(dueBy: elapsed) {
                            taken += 1
                            let slot =
                                arrival.burst.flatMap { plan.slotIndex(ofBurst: $0) }
                                ?? plan.slotIndex(atReal: arrival.time)
                            // Dropped when `maxShoppers` are going or held.
                            guard progress.inFlight.load(ordering: .relaxed) + held.count < maxShoppers else {
                                let second = Int(arrival.time)
                                recorder.arrival(slot: slot, started: false, lagMicros: 0, dueSecond: second)
                                droppedAt = now
                                // So are the rest due by now in this second and slot: as one count, not made one
                                // by one (``ArrivalSequence/skip(before:)``). One by one they cost about 45 ns each
                                // (release build): asked for 10,000,000/s, a worker spent half its core on them,
                                // and asked for 100,000,000/s, a 6 s plan ran 36 s.
                                if arrival.burst == nil {
                                    let boundary = min(
                                        elapsed, Double(second + 1), plan.realTime(atProfile: plan.slots[slot].end))
                                    let skipped = arrivals.skip(before: boundary)
                                    if skipped > 0 { recorder.dropped(skipped, slot: slot, dueSecond: second) }
                                }
                                continue
                            }
                            pacing.observe(due: arrival.time)
                            held.append(
                                HeldArrivals.Held(
                                    arrival: arrival, slot: slot,
                                    lagMicros: (now - (start + .seconds(double: arrival.time))).microseconds))
                        }
                        continue
                    }
                } else {
                    if drainBegan == nil {
                        drainBegan = now
                        if let stop = control.stopRequest {
                            logger.info("stopping: no new shoppers", metadata: ["reason": "\(stop.reason)"])
                        }
                    }
                    if progress.inFlight.load(ordering: .relaxed) == 0 && held.isEmpty { break }
                    let limit = drainLimit(began: drainBegan ?? now, control: control)
                    if now >= limit || Task.isCancelled {
                        logger.info(
                            "cancelling shoppers still going",
                            metadata: [
                                "count": "\(progress.inFlight.load(ordering: .relaxed))", "held": "\(held.count)",
                            ])
                        dropHeld()
                        shoppers.cancelAll()
                        for thinking in parked.close() {
                            _ = await shopper.end(thinking, .failed(.cancelled))
                            if progress.inFlight.subtract(1, ordering: .relaxed).newValue == 0 { progress.idle.post() }
                        }
                        break
                    }
                    wake = limit
                }
                // A short wait on the loop's timer, no sooner than the pacing allows (held arrivals are looked at
                // again within a millisecond); a long one also wakes for a stop, a share change, a shopper parked
                // with an earlier wake, or (draining) the last shopper's end.
                guard var until = parked.sleep(until: wake), until > .now else { continue }
                if !held.isEmpty { until = min(until, .now + .seconds(double: ReleasePacing.longest)) }
                until = max(until, lastWake + .seconds(double: pacing.interval))
                if until - .now <= .milliseconds(20) {
                    await home.sleep(until: until)
                } else {
                    await sleep(
                        until: until,
                        orUntilAnyOf: [control.signal, parked.signal] + (drainBegan == nil ? [] : [progress.idle]))
                }
                lastWake = .now
                busySince = lastWake
            }
            for loopRunners in runners { loopRunners.close() }
        }
    }

    /// The longest the scheduler goes round without sleeping before it pauses for `pollPause`, and the pause: long
    /// enough for the loop to finish the tasks ready and poll, short enough to cost the scheduler 0.5 % of its time
    /// at most, and only while it cannot sleep.
    static let longestWithoutPolling: Duration = .milliseconds(10)
    static let pollPause: Duration = .microseconds(50)
    /// The most arrivals one pass of the scheduler takes (starts, holds or drops) before it goes round again.
    static let arrivalsPerPass = 1_024

    /// When the drain that began at `began` ends: after the drain timeout, or sooner as a stop asked for.
    private func drainLimit(began: ContinuousInstant, control: RunControl) -> ContinuousInstant {
        var limit = began + settings.drainTimeout
        if let stop = control.stopRequest {
            limit = min(limit, ContinuousInstant(stop.at) + min(stop.drain, settings.stopDrainTimeout))
        }
        return limit
    }
}

/// Shared counters of a run in progress.
final class RunProgress: Sendable {
    /// Shoppers going now.
    let inFlight = Atomic<Int>(0)
    /// Arrivals due and held, not yet started, while requests wait for a connection (as of the scheduler's last
    /// pass).
    let waiting = Atomic<Int>(0)
    /// Posted when the last shopper going ends.
    let idle = Signal()
}
