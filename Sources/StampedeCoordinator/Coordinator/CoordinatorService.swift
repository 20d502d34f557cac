import GRPCCore
import StampedeClock
import StampedeCore
import StampedeProtocol
import SwiftProtobuf

/// The gRPC face of the coordinator: one `Attend` stream per worker. Refuses a wrong token before anything else;
/// answers clock probes at once (they measure the round trip, so they do not queue behind the run loop); hands
/// every other message to the ``Coordinator`` as an event, and writes what the coordinator sends back.
struct CoordinatorService: Stampede_V1_Coordinator.StreamingServiceProtocol {
    let coordinator: Coordinator

    func attend(
        request: StreamingServerRequest<Stampede_V1_WorkerMessage>, context: ServerContext
    ) async throws -> StreamingServerResponse<Stampede_V1_CoordinatorMessage> {
        let presented = request.metadata[stringValues: "authorization"].first { _ in true }
        guard let presented, Self.constantTimeEqual(presented, "Bearer \(coordinator.configuration.token)") else {
            throw RPCError(
                code: .unauthenticated,
                message: presented == nil
                    ? "no token: the coordinator takes only workers that present its token"
                    : "the token is wrong: the coordinator refuses this worker")
        }
        return StreamingServerResponse { [coordinator] writer in
            let (connection, outbound, link) = coordinator.connect()
            try await withThrowingTaskGroup(of: Void.self) { group in
                // What the coordinator says, until it closes the stream (or refuses the worker: an error).
                group.addTask {
                    for await item in outbound {
                        switch item {
                        case .message(let message): try await writer.write(message)
                        case .refuse(let reason): throw RPCError(code: .failedPrecondition, message: reason)
                        }
                    }
                }
                // What the worker says, until its stream ends or breaks.
                group.addTask {
                    defer { coordinator.receive(.disconnected(connection)) }
                    do {
                        for try await message in request.messages {
                            // An interval waits for room in the run loop: a coordinator that falls behind stops
                            // reading, and flow control holds the worker (memory stays bounded). That it arrived
                            // counts at once, so the wait does not make the worker look silent.
                            if case .interval = message.kind {
                                coordinator.receive(.heard(connection))
                                await coordinator.admission.enter()
                            }
                            Self.handle(message, from: connection, link: link, coordinator: coordinator)
                        }
                    } catch {
                        // The stream broke: the worker is gone.
                    }
                }
                try await group.waitForAll()
            }
            return [:]
        }
    }

    private static func handle(
        _ message: Stampede_V1_WorkerMessage, from connection: ConnectionID,
        link: AsyncStream<Coordinator.Outbound>.Continuation, coordinator: Coordinator
    ) {
        switch message.kind {
        case .clockProbe(let probe):
            link.yield(
                .message(
                    .with {
                        $0.kind = .clockReply(
                            .with {
                                $0.sequence = probe.sequence
                                $0.workerNanos = probe.workerNanos
                                $0.coordinatorNanos = coordinator.clock.now.nanoseconds
                            })
                    }))
        case .hello(let hello):
            coordinator.receive(.hello(connection, name: hello.name, capacity: Int(max(1, hello.capacity))))
        case .interval(let interval):
            let decoded = Result { () throws(ProtocolError) in try IntervalReport(interval, worker: "") }
                .mapError { CoordinatorStateMachine.ProtocolProblem($0.message) }
            coordinator.receive(.interval(connection, decoded))
        case .finished(let finished):
            coordinator.receive(.finished(connection, StopReason(finished.reason)))
        case nil:
            break
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
