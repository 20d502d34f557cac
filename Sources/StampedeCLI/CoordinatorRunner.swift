import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StampedeCoordinator
import StampedeCore
import StampedeProcess
import StampedeReport
import UnixSignals

/// Runs a coordinator until its run completes: renders its events on the console, prints the report, and stops
/// the run on SIGINT/SIGTERM (workers stop within a second, the report is still written, marked interrupted).
enum CoordinatorRunner {
    /// `listening` is called with the port workers connect to, once they can (to start local workers). A run
    /// judged other than ok ends in its exit code, unless `exitOnJudgement` is false (the caller judges). A silent
    /// run prints nothing but the problems it meets (the caller reports). A run whose token was made for it alone
    /// (`stampede run`) shows it with the dashboard's address, for the Stop button.
    static func run(
        _ coordinator: Coordinator, quiet: Bool, exitOnJudgement: Bool = true, silent: Bool = false,
        showsToken: Bool = false,
        listening: @escaping @Sendable (_ port: Int) throws -> Void = { _ in }
    ) async throws -> RunOutcome {
        // Every port asked for, tried before the run directory is made or the target set up.
        let configuration = coordinator.configuration
        try ListeningPort.check(
            [(host: configuration.host, port: configuration.port, option: "--listen")]
                + (configuration.metricsPort.map {
                    [(host: configuration.host, port: $0, option: "--metrics-port")]
                } ?? [])
                + (configuration.dashboardPort.map {
                    [(host: configuration.dashboardHost, port: $0, option: "--dashboard")]
                } ?? []))
        let logger = Logger(label: "stampede.coordinator")
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: coordinator, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            var outcome: RunOutcome?
            var failure: (any Error)?
            for await event in coordinator.events {
                if let line = RunEventLine.render(event, quiet: quiet) {
                    if !silent {
                        print(line)
                    } else if case .problem = event {
                        printError(line)
                    }
                }
                switch event {
                case .listening(_, let port, _, let dashboard, _):
                    if let dashboard, showsToken, !silent {
                        print("the dashboard's Stop button: \(dashboard)#token=\(coordinator.configuration.token)")
                    }
                    do {
                        try listening(port)
                    } catch {
                        failure = error
                        coordinator.stop(.interrupted)
                    }
                case .finished(let finished):
                    outcome = finished
                default:
                    break
                }
            }
            try await tasks.waitForAll()
            if let failure { throw failure }
            guard let outcome else { throw CommandFailure(.internalError, "the run ended without a report") }
            let judgement = RunJudgement.of(outcome.report, gate: coordinator.record.gate ?? GateSettings())
            if !silent {
                if !quiet { print("") }
                print(ConsoleReport.render(outcome.report), terminator: "")
                if let directory = outcome.directory { print("\nRun directory: \(directory)") }
                print(
                    "coordinator: \(outcome.mergedIntervals) intervals merged, "
                        + "\(Int(outcome.cpuMicrosPerInterval.rounded())) µs of coordinator CPU per interval")
                Verdict.print(judgement)
                if let directory = outcome.directory, outcome.directoryIncomplete == nil {
                    print("The charts: \((directory as NSString).appendingPathComponent("report.html"))")
                }
            }
            if exitOnJudgement && judgement.status != .ok { throw ExitCode(judgement.status.rawValue) }
            // A run the judgement passes whose directory lacks part of it is not a pass: a gate would read the
            // files it lacks. It said 0, and "The charts: …/report.html" of a page it never wrote.
            if exitOnJudgement, let reason = outcome.directoryIncomplete, let directory = outcome.directory {
                throw CommandFailure(
                    .internalError,
                    "the run directory \(directory) lacks part of the run (\(reason)); the report above is whole")
            }
            return outcome
        }
    }
}
