public import Logging
public import StampedeCore
public import StampedeHTTP
public import StampedeWorker
import StampedeReport

/// A rehearsal on this machine: one in-process worker runs the whole plan, and a ``RunSession`` takes its
/// intervals exactly as it would take a remote worker's.
public struct LocalRehearsal: Sendable {
    public var record: RunRecord
    public var settings: WorkerSettings
    /// Where the run directory goes (`runs/`); nil writes nothing.
    public var runsDirectory: String?
    public var client: HTTPClientConfiguration

    public init(record: RunRecord, settings: WorkerSettings, runsDirectory: String?, client: HTTPClientConfiguration) {
        self.record = record
        self.settings = settings
        self.runsDirectory = runsDirectory
        self.client = client
    }

    public struct Outcome: Sendable {
        public var report: RunReport
        public var directory: RunDirectory?
        public var consoleReport: String
    }

    /// Runs the plan to its end (or until `stop`), then writes and returns the report.
    public func run(stop: StopSignal, logger: Logger, progress: @escaping @Sendable (String) -> Void) async throws
        -> Outcome
    {
        let plan = try record.plan()
        guard let origin = Origin(url: record.target) else {
            throw RehearsalError("the target \(record.target) is not an http:// URL with a host")
        }
        let directory = try runsDirectory.map { try RunDirectory.create(under: $0, record: record) }
        defer { directory?.close() }
        let session = RunSession(record: record, plan: plan, directory: directory, progress: progress)
        let worker = WorkerRun(
            plan: plan, runtime: ScenarioRuntime(scenario: record.scenario, origin: origin), share: .whole,
            settings: settings, logger: logger)
        let began = ContinuousClock.now
        try await withHTTPClient(client) { client in
            // A short head start so the first arrivals are not late because of set-up.
            await worker.run(client: client, start: .now + .milliseconds(100), stop: stop) { interval in
                await session.receive(interval)
            }
        }
        let report = await session.report(actualSeconds: (ContinuousClock.now - began).seconds, interrupted: stop.isStopped)
        let text = ConsoleReport.render(report)
        try directory?.writeReport(try JSONReport.encode(report), text: text)
        return Outcome(report: report, directory: directory, consoleReport: text)
    }
}

public struct RehearsalError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
