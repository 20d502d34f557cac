import Foundation
import Synchronization

/// Worker processes on this machine, started by `stampede run` (this same executable, `worker` subcommand), each
/// logging to its own file. They are ours: only these PIDs are ever signalled.
final class LocalWorkers: Sendable {
    private let processes = Mutex<[Process]>([])
    /// Posted as each worker exits.
    private let exits: AsyncStream<Void>
    private let exitSink: AsyncStream<Void>.Continuation

    init() {
        (exits, exitSink) = AsyncStream.makeStream(of: Void.self)
    }

    /// Starts `count` workers against 127.0.0.1:`port`, the token passed in the environment only.
    func start(count: Int, port: Int, token: String, logDirectory: String) throws {
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        try FileManager.default.createDirectory(atPath: logDirectory, withIntermediateDirectories: true)
        for index in 1...count {
            let process = Process()
            process.executableURL = executable
            process.arguments = ["worker", "--coordinator", "127.0.0.1:\(port)", "--name", "w\(index)"]
            var environment = ProcessInfo.processInfo.environment
            environment["STAMPEDE_TOKEN"] = token
            process.environment = environment
            let log = (logDirectory as NSString).appendingPathComponent("w\(index).log")
            _ = FileManager.default.createFile(atPath: log, contents: nil)
            let handle = FileHandle(forWritingAtPath: log)
            process.standardOutput = handle
            process.standardError = handle
            process.terminationHandler = { [exitSink] _ in exitSink.yield() }
            try process.run()
            processes.withLock { $0.append(process) }
        }
    }

    /// Waits up to `grace` for the workers to leave, then terminates those still running, and kills (SIGKILL) any
    /// still there after another `grace`: a worker buried under an overload's backlog must not outlive the run.
    func finish(grace: Duration) async {
        let running = processes.withLock { $0 }
        await waitForExits(running, at: grace)
        for process in running where process.isRunning { process.terminate() }
        await waitForExits(running, at: grace)
        for process in running where process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private func waitForExits(_ running: [Process], at most: Duration) async {
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
