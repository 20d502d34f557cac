public import ArgumentParser
import Foundation
import StampedeCoordinator
import StampedeCore
import StampedeProcess

/// `stampede run`: a rehearsal on this machine, through the same coordinator and worker path as a distributed
/// one: a coordinator in this process and `--workers` worker processes over loopback.
public struct RunCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Play a profile against a target with the shoppers of a scenario.",
        discussion: ExitStatus.table)

    @OptionGroup var plan: PlanOptions
    @Option(help: "Worker processes to start on this machine.") var workers = 1
    @Option(help: "Threads per worker for the HTTP engine.") var threads = 1
    @Option(help: "Serve Prometheus metrics on this port (/metrics).", transform: CommandLineNumbers.port)
    var metricsPort: Int?
    @Option(
        help: "Serve the live dashboard on this port (charts every second, a Stop button that needs the token).",
        transform: CommandLineNumbers.port)
    var dashboard: Int?
    @Option(help: "The dashboard's address (loopback unless told).") var dashboardHost = "127.0.0.1"

    public init() {}

    public func run() async throws {
        try await failing("stampede run", Self.self) { try await work() }
    }

    public func validate() throws {
        try CommandLineNumbers.check(workers, CommandLineNumbers.localWorkers, option: "--workers")
        try CommandLineNumbers.check(threads, CommandLineNumbers.threads, option: "--threads")
    }

    private func work() async throws {
        let (record, plan) = try self.plan.run(workers: workers, sends: true)
        let token = Token.random()
        let coordinator = Coordinator(
            configuration: CoordinatorConfiguration(
                host: "127.0.0.1", port: 0, token: token, metricsPort: metricsPort, dashboardPort: dashboard,
                dashboardHost: dashboardHost,
                environment: ProcessInfo.processInfo.environment, runsDirectory: self.plan.runs),
            record: record, plan: plan, settings: try self.plan.settings(workers: workers, lease: "3s"))
        // The workers start with this process's limits.
        if let shortfall = FileLimit.shortfall(connections: record.connectionsPerWorkerAtMost) {
            printError("stampede run: warning: \(shortfall)")
        }
        if let cut = PlanReport.capWarning(record: record, plan: plan, workers: workers) {
            printError("stampede run: warning: \(cut)")
        }
        let processes = LocalWorkers()
        let count = workers
        let threads = threads
        let logs = (self.plan.runs as NSString).appendingPathComponent("\(record.id)/workers")
        do {
            _ = try await CoordinatorRunner.run(coordinator, quiet: self.plan.quiet, showsToken: true) { port in
                try processes.start(count: count, threads: threads, port: port, token: token, logDirectory: logs)
            }
        } catch {
            // A judged run (exit 1-4) or a failure: the worker processes end first either way.
            await processes.finish(grace: .seconds(5))
            throw error
        }
        await processes.finish(grace: .seconds(5))
    }
}
