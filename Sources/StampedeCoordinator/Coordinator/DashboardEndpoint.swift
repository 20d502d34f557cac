import Foundation
import Hummingbird
import NIOCore
import StampedeCore
import StampedeReport

/// The live dashboard (`--dashboard PORT`): the report's page at `/`, its body again every second as a
/// server-sent event at `/events` (from the merged intervals), and `POST /stop` — with the run's token as a
/// bearer — which stops the run as Ctrl-C does.
struct DashboardEndpoint: Sendable {
    /// What the dashboard shows now, and whether the run is still going.
    struct Snapshot: Sendable {
        var report: RunReport
        var series: RunSeries
        var running: Bool
    }

    let host: String
    let port: Int
    let token: String
    let snapshot: @Sendable () -> Snapshot
    let stop: @Sendable () -> Void

    func run(listening: @escaping @Sendable (Int) -> Void) async throws {
        let router = Router()
        router.get("/") { [snapshot] _, _ in
            let now = snapshot()
            let page = HTMLReport.render(now.report, series: now.series, judgement: nil, live: HTMLReport.Live())
            return Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: page)))
        }
        router.get("/events") { [snapshot] _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-cache"],
                body: ResponseBody { writer in
                    while !Task.isCancelled {
                        let now = snapshot()
                        try await writer.write(ByteBuffer(bytes: Self.event(now)))
                        guard now.running else { break }
                        try await Task.sleep(for: .seconds(1))
                    }
                    try await writer.finish(nil)
                })
        }
        router.post("/stop") { [token, stop] request, _ in
            let presented = request.headers[.authorization] ?? ""
            guard CoordinatorService.constantTimeEqual(presented, "Bearer \(token)") else {
                return Response(
                    status: .unauthorized, body: .init(byteBuffer: ByteBuffer(string: "the run's token is needed")))
            }
            stop()
            return Response(status: .accepted, body: .init(byteBuffer: ByteBuffer(string: "stopping")))
        }
        try await HTTPEndpoint.serve(router, host: host, port: port, label: "stampede.dashboard", listening: listening)
    }

    private struct Message: Encodable {
        var html: String
        var state: String
    }

    /// One server-sent event: `data: {"html": …, "state": "running" | "finished"}`.
    static func event(_ snapshot: Snapshot) -> [UInt8] {
        let message = Message(
            html: HTMLReport.body(snapshot.report, series: snapshot.series, judgement: nil),
            state: snapshot.running ? "running" : "finished")
        let json = (try? JSONEncoder().encode(message)) ?? Data("{}".utf8)
        return Array("data: ".utf8) + Array(json) + Array("\n\n".utf8)
    }
}
