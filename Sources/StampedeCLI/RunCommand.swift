public import ArgumentParser
import Foundation
import StampedeCoordinator

/// `stampede run`: a rehearsal on this machine, through the same coordinator and worker path as a distributed
/// one: a coordinator in this process and `--workers` worker processes over loopback.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Play a profile against a target with the shoppers of a scenario.")

    @OptionGroup var plan: PlanOptions
    @Option(help: "Worker processes to start on this machine.") var workers = 1
    @Option(help: "Threads per worker for the HTTP engine.") var threads = 1
    @Option(help: "Serve Prometheus metrics on this port (/metrics).") var metricsPort: Int?

    public init() {}

    public func run() async throws {
        guard (1...64).contains(workers) else { throw ValidationError("--workers must be 1 to 64") }
        let record = try plan.record(workers: workers)
        let token = Token.random()
        let server = CoordinatorServer(
            configuration: CoordinatorConfiguration(host: "127.0.0.1", port: 0, token: token, metricsPort: metricsPort),
            record: record, settings: try plan.settings(workers: workers, lease: "3s"), runsDirectory: plan.runs)
        let processes = LocalWorkers()
        let count = workers
        let outcome = try await CoordinatorRunner.run(server, quiet: plan.quiet) { port, directory in
            let logs = directory.map { ($0 as NSString).appendingPathComponent("workers") }
                ?? NSTemporaryDirectory()
            try processes.start(count: count, port: port, token: token, logDirectory: logs)
        }
        await processes.finish(grace: .seconds(5))
        print("coordinator: \(outcome.mergedIntervals) intervals merged, "
              + "\(Int(outcome.cpuMicrosPerInterval.rounded())) µs of coordinator CPU per interval")
    }
}
