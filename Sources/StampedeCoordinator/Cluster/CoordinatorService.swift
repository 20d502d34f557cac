import GRPCCore
import StampedeClock
import StampedeProtocol
import SwiftProtobuf

/// The gRPC face of the coordinator: one `Attend` stream per worker. Refuses a wrong token before anything else;
/// answers clock probes at once (they measure the round trip); hands everything else to the ``Cluster``.
struct CoordinatorService: Stampede_V1_Coordinator.StreamingServiceProtocol {
    let cluster: Cluster
    let token: String

    func attend(
        request: StreamingServerRequest<Stampede_V1_WorkerMessage>, context: ServerContext
    ) async throws -> StreamingServerResponse<Stampede_V1_CoordinatorMessage> {
        let presented = request.metadata[stringValues: "authorization"].first { _ in true }
        guard let presented, Self.constantTimeEqual(presented, "Bearer \(token)") else {
            throw RPCError(
                code: .unauthenticated,
                message: presented == nil
                    ? "no token: the coordinator takes only workers that present its token"
                    : "the token is wrong: the coordinator refuses this worker")
        }
        return StreamingServerResponse { writer in
            let (outbound, link) = AsyncStream.makeStream(of: Stampede_V1_CoordinatorMessage.self)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await message in outbound { try await writer.write(message) }
                }
                var id: String? = nil
                do {
                    for try await message in request.messages {
                        if let id { await cluster.heard(from: id) }
                        switch message.kind {
                        case .clockProbe(let probe):
                            link.yield(.with {
                                $0.kind = .clockReply(.with {
                                    $0.sequence = probe.sequence
                                    $0.workerNanos = probe.workerNanos
                                    $0.coordinatorNanos = ProcessClock.now()
                                })
                            })
                        case .hello(let hello):
                            guard id == nil else { continue }
                            let (registered, refusal) = await cluster.register(name: hello.name, link: link)
                            guard let registered else {
                                link.yield(.with { $0.kind = .stop(.with { $0.reason = refusal ?? "refused" }) })
                                link.finish()
                                throw RPCError(code: .failedPrecondition, message: refusal ?? "refused")
                            }
                            id = registered
                        case .interval(let interval):
                            if let id { await cluster.receive(interval, from: id) }
                        case .finished:
                            if let id { await cluster.finished(id) }
                            // Nothing more to say to it; closing our side lets it leave.
                            link.finish()
                        case nil:
                            continue
                        }
                    }
                } catch let error as RPCError where error.code == .failedPrecondition {
                    group.cancelAll()
                    throw error
                } catch {
                    // The stream broke: the worker is gone.
                }
                if let id { await cluster.disconnected(id) }
                link.finish()
                try await group.waitForAll()
            }
            return [:]
        }
    }

    /// Compares without leaking, through timing, how much of the token was right.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        var difference = UInt8(x.count == y.count ? 0 : 1)
        for index in 0..<max(x.count, y.count) {
            difference |= (index < x.count ? x[index] : 0) ^ (index < y.count ? y[index] : 0)
        }
        return difference == 0
    }
}
