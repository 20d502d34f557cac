import Hummingbird
import Logging
import NIOCore

/// Serves the coordinator's metrics over HTTP (`GET /metrics`, Prometheus text format) until cancelled.
struct MetricsEndpoint: Sendable {
    let metrics: CoordinatorMetrics
    let host: String
    /// 0 picks a free port.
    let port: Int

    /// Runs the endpoint; `listening` gets the bound port.
    func run(listening: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        router.get("/metrics") { [metrics] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
        }
        var logger = Logger(label: "stampede.metrics")
        logger.logLevel = .warning
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port)),
            onServerRunning: { channel in listening(channel.localAddress?.port ?? 0) }, logger: logger)
        try await app.runService(gracefulShutdownSignals: [])
    }
}
