public import NIOCore

/// An event loop as a task executor (SE-0417). A shopper task that prefers it runs its nonisolated code — the
/// scenario's steps, building the request, waiting for the response — on the loop that owns its connections, so
/// a request is no hop between Swift's cooperative pool and the loop and back (two thread switches a request,
/// the largest cost of the shopper path before). Jobs are queued with the loop's own `execute`, which from the
/// loop itself is a queue append without a wake-up.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    public let loop: any EventLoop

    public init(_ loop: any EventLoop) {
        self.loop = loop
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let executor = asUnownedTaskExecutor()
        loop.execute { job.runSynchronously(on: executor) }
    }

    /// Sleeps until `deadline` on the loop's own timer: a task running here wakes up without another thread
    /// (`Task.sleep` goes through a dispatch timer thread, a wake-up and a hop back per sleep — at 20,000
    /// arrivals a second, that was the scheduler's largest cost).
    public func sleep(until deadline: ContinuousClock.Instant) async {
        let delay = deadline - .now
        guard delay > .zero else { return }
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            loop.scheduleTask(in: .nanoseconds(nanoseconds)) { continuation.resume() }
        }
    }

    /// One executor per loop of a group, for handing out round-robin.
    public static func all(of group: any EventLoopGroup) -> [EventLoopTaskExecutor] {
        group.makeIterator().map { EventLoopTaskExecutor($0) }
    }
}
