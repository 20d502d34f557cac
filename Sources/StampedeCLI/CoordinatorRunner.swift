import Foundation
import Logging
import ServiceLifecycle
import StampedeCoordinator
import StampedeWorker
import UnixSignals

/// Runs a coordinator until its run completes: prints progress and the report, stops the run on SIGINT/SIGTERM
/// (workers stop within a second, the report is still written, marked interrupted).
enum CoordinatorRunner {
    static func run(
        _ server: CoordinatorServer, quiet: Bool,
        listening: @escaping @Sendable (_ port: Int, _ directory: String?) async throws -> Void = { _, _ in }
    ) async throws -> CoordinatorServer.Outcome {
        let logger = Logger(label: "stampede.coordinator")
        let service = RunService(server: server, quiet: quiet, listening: listening)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        try await group.run()
        guard let outcome = service.outcome else { throw RunError("the run ended without a report") }
        if !quiet { print("") }
        print(outcome.consoleReport, terminator: "")
        if let directory = outcome.directory { print("\nRun directory: \(directory)") }
        return outcome
    }
}

final class RunService: Service, Sendable {
    let server: CoordinatorServer
    let quiet: Bool
    let listening: @Sendable (Int, String?) async throws -> Void
    let stop = StopSignal()
    private let result = OutcomeSlot()

    init(server: CoordinatorServer, quiet: Bool, listening: @escaping @Sendable (Int, String?) async throws -> Void) {
        self.server = server
        self.quiet = quiet
        self.listening = listening
    }

    var outcome: CoordinatorServer.Outcome? { result.value }

    func run() async throws {
        let quiet = self.quiet
        let directory = server.runsDirectory.map { ($0 as NSString).appendingPathComponent(server.record.id) }
        let outcome = try await withGracefulShutdownHandler {
            try await server.run(
                notify: { line in if !quiet || !line.hasPrefix("[") { print(line) } },
                listening: { port, _ in try? await self.listening(port, directory) },
                stopRequested: { [stop] in stop.reason })
        } onGracefulShutdown: { [stop] in
            stop.stop(reason: "interrupted by a signal")
        }
        result.set(outcome)
    }
}

final class OutcomeSlot: @unchecked Sendable {
    // @unchecked: the value is set once, under the lock, and read after the service group ended.
    private let lock = NSLock()
    private var stored: CoordinatorServer.Outcome?
    var value: CoordinatorServer.Outcome? { lock.withLock { stored } }
    func set(_ outcome: CoordinatorServer.Outcome) { lock.withLock { stored = outcome } }
}

struct RunError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
