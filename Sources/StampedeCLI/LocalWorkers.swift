import Foundation

/// Worker processes on this machine, started by `stampede run` (this same executable, `worker` subcommand), each
/// logging to its own file. They are ours: only these PIDs are ever signalled.
final class LocalWorkers: @unchecked Sendable {
    // @unchecked: `processes` is written once in `start` and read after; Process is thread-safe for these calls.
    private(set) var processes: [Process] = []

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
            try process.run()
            processes.append(process)
        }
    }

    /// Waits up to `grace` for the workers to leave, then terminates those still running.
    func finish(grace: Duration) async {
        let deadline = ContinuousClock.now + grace
        while processes.contains(where: \.isRunning), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        for process in processes where process.isRunning { process.terminate() }
    }
}
