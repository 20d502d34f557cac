import Hummingbird
import Logging
import Synchronization

/// Serves a Hummingbird router on loopback (or where told) until cancelled. Cancelled, the server is asked to
/// shut down and given `grace` to do it: a browser holding the dashboard's event stream open, or a shutdown that
/// does not finish, never holds up the end of the run.
enum HTTPEndpoint {
    static func serve(
        _ router: Router<BasicRequestContext>, host: String, port: Int, label: String, grace: Duration = .seconds(2),
        listening: @escaping @Sendable (Int) -> Void
    ) async throws {
        var logger = Logger(label: label)
        logger.logLevel = .critical
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in listening(channel.localAddress?.port ?? 0) }, logger: logger)
        let server = Task { try await app.runService(gracefulShutdownSignals: []) }
        await waitCancellable(server, grace: grace)
        // A server that could not start (the port taken) says so; one stopped with the run does not.
        if !Task.isCancelled, case .failure(let error) = await server.result {
            throw CoordinatorError("cannot serve \(label) on \(host):\(port): \(error)")
        }
    }

    /// Waits for `task`; once the caller is cancelled, cancels it and waits at most `grace` more.
    static func waitCancellable(_ task: Task<Void, any Error>, grace: Duration) async {
        let waiting = Mutex<CheckedContinuation<Void, Never>?>(nil)
        let resume = { @Sendable in waiting.withLock { $0.take() }?.resume() }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                waiting.withLock { $0 = continuation }
                Task {
                    _ = await task.result
                    resume()
                }
            }
        } onCancel: {
            task.cancel()
            Task {
                try? await Task.sleep(for: grace)
                resume()
            }
        }
    }
}
