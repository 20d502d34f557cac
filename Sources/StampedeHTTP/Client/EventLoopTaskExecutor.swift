public import NIOCore
public import StampedeCore
import Synchronization

/// An event loop as a task executor (SE-0417). A shopper task that prefers it runs its nonisolated code — the
/// scenario's steps, building the request, waiting for the response — on the loop that owns its connections, so
/// a request is no hop between Swift's cooperative pool and the loop and back (two thread switches a request,
/// the largest cost of the shopper path before). Jobs are queued with the loop's own `execute`, which from the
/// loop itself is a queue append without a wake-up.
public final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    public let loop: any EventLoop

    /// Jobs waiting for the loop, run in a batch by one loop task: a closure a job would cost an allocation each
    /// (three a request).
    private let queued = Mutex(Queued())
    /// The batch being run; touched on the loop only (this is why the class is `@unchecked Sendable`).
    private var running: [UnownedJob] = []
    private var runQueued: (@Sendable () -> Void)?

    private struct Queued {
        var jobs: [UnownedJob] = []
        /// A loop task is on its way to run them.
        var scheduled = false
    }

    public init(_ loop: any EventLoop) {
        self.loop = loop
        self.runQueued = { [unowned self] in self.runBatch() }
    }

    public func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        let schedule = queued.withLock { queued in
            queued.jobs.append(job)
            defer { queued.scheduled = true }
            return !queued.scheduled
        }
        if schedule, let runQueued { loop.execute(runQueued) }
    }

    private func runBatch() {
        queued.withLock { queued in
            // The empty batch (with its capacity) becomes the queue; the queue becomes the batch.
            swap(&running, &queued.jobs)
            queued.scheduled = false
        }
        let executor = asUnownedTaskExecutor()
        for job in running { job.runSynchronously(on: executor) }
        running.removeAll(keepingCapacity: true)
    }

    /// Sleeps until `deadline` on the loop's own timer: a task running here wakes up without another thread
    /// (`Task.sleep` goes through a dispatch timer thread, a wake-up and a hop back per sleep — at 20,000
    /// arrivals a second, that was the scheduler's largest cost).
    public func sleep(until deadline: ContinuousInstant) async {
        let nanoseconds = deadline.nanoseconds - ContinuousInstant.now.nanoseconds
        guard nanoseconds > 0 else { return }
        // A scheduled callback, not a scheduled task: no promise, no closure, one small object a sleep.
        let wakeup = Wakeup()
        await withUnsafeContinuation { (continuation: UnsafeContinuation<Void, Never>) in
            wakeup.continuation = continuation
            do {
                _ = try loop.scheduleCallback(at: .now() + .nanoseconds(nanoseconds), handler: wakeup)
            } catch {
                // The loop is shutting down: nothing to wait for.
                wakeup.resume()
            }
        }
    }

    /// Resumes a sleeping task when its time comes, or when its loop shuts down.
    private final class Wakeup: NIOScheduledCallbackHandler, @unchecked Sendable {
        var continuation: UnsafeContinuation<Void, Never>?

        func resume() {
            continuation?.resume()
            continuation = nil
        }

        func handleScheduledCallback(eventLoop: some EventLoop) { resume() }
        func didCancelScheduledCallback(eventLoop: some EventLoop) { resume() }
    }

    /// One executor per loop of a group, for handing out round-robin.
    public static func all(of group: any EventLoopGroup) -> [EventLoopTaskExecutor] {
        group.makeIterator().map { EventLoopTaskExecutor($0) }
    }
}
