import Hummingbird
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
        try await HTTPEndpoint.serve(router, host: host, port: port, label: "stampede.metrics", listening: listening)
    }
}
