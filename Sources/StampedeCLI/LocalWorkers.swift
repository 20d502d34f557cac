import Foundation
import StampedeProcess
import Synchronization

/// Worker processes on this machine, started by `stampede run` (this same executable, `worker` subcommand), each
/// logging to its own file. They are ours: only these PIDs are ever signalled.
final class LocalWorkers: Sendable {
    private let processes = Mutex<[ChildProcess]>([])
    /// Posted as each worker exits.
    private let exits: AsyncStream<Void>
    private let exitSink: AsyncStream<Void>.Continuation

    init() {
        (exits, exitSink) = AsyncStream.makeStream(of: Void.self)
    }

    /// Starts `count` workers of `threads` event-loop threads each against 127.0.0.1:`port`, the token passed in the
    /// environment only.
    func start(count: Int, threads: Int, port: Int, token: String, logDirectory: String) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        for index in 1...count {
            var environment = ProcessInfo.processInfo.environment
            environment["STAMPEDE_TOKEN"] = token
            let process = try ChildProcess.launch(
                executable.path,
                [
                    "worker", "--coordinator", "127.0.0.1:\(port)", "--name", "w\(index)", "--threads", "\(threads)",
                ],
                environment: environment, output: (logDirectory as NSString).appendingPathComponent("w\(index).log"),
                onExit: { [exitSink] _ in exitSink.yield() })
            processes.withLock { $0.append(process) }
        }
    }

    /// Waits up to `grace` for the workers to leave, then terminates those still running, and kills (SIGKILL) any
    /// still there after another `grace`: a worker buried under an overload's backlog must not outlive the run.
    func finish(grace: Duration) async {
        let running = processes.withLock { $0 }
        await waitForExits(running, at: grace)
        for process in running { process.terminate() }
        await waitForExits(running, at: grace)
        for process in running { process.send(SIGKILL) }
    }

    private func waitForExits(_ running: [ChildProcess], at most: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [exits] in
                if running.allSatisfy({ !$0.isRunning }) { return }
                for await _ in exits where running.allSatisfy({ !$0.isRunning }) { return }
            }
            group.addTask { try? await Task.sleep(for: most) }
            await group.next()
            group.cancelAll()
        }
    }
}
