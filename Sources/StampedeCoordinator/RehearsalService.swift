public import ServiceLifecycle
public import Logging
public import StampedeWorker

/// A local rehearsal as a service: SIGINT/SIGTERM stop new arrivals, let shoppers finish briefly, and still
/// write the report (marked interrupted).
public final class RehearsalService: Service, Sendable {
    public let rehearsal: LocalRehearsal
    private let logger: Logger
    private let progress: @Sendable (String) -> Void
    private let finish: @Sendable (LocalRehearsal.Outcome) -> Void
    public let stop = StopSignal()

    public init(
        rehearsal: LocalRehearsal, logger: Logger, progress: @escaping @Sendable (String) -> Void,
        finish: @escaping @Sendable (LocalRehearsal.Outcome) -> Void
    ) {
        self.rehearsal = rehearsal
        self.logger = logger
        self.progress = progress
        self.finish = finish
    }

    public func run() async throws {
        let outcome = try await withGracefulShutdownHandler {
            try await rehearsal.run(stop: stop, logger: logger, progress: progress)
        } onGracefulShutdown: { [stop] in
            stop.stop(reason: "interrupted by a signal")
        }
        finish(outcome)
    }
}
