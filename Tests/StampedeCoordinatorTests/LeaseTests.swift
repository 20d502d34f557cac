import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import StampedeClock
import StampedeCore
import StampedeProtocol
import StampedeTestKit
import StampedeWorker
import SwiftProtobuf
import Testing

/// A coordinator that assigns a run, beats for a while, then falls silent without closing anything (as when a
/// link is cut): the worker must stop sending on its own within the lease. On a manual clock.
@Suite(.timeLimit(.minutes(1)))
struct LeaseTests {
    struct SilentCoordinator: Stampede_V1_Coordinator.StreamingServiceProtocol {
        let record: RunRecord
        let clock: ManualClock
        let beatFor: Duration
        let lastBeat: Box<MonotonicInstant?>

        func attend(
            request: StreamingServerRequest<Stampede_V1_WorkerMessage>, context: ServerContext
        ) async throws -> StreamingServerResponse<Stampede_V1_CoordinatorMessage> {
            StreamingServerResponse { writer in
                for try await message in request.messages {
                    switch message.kind {
                    case .clockProbe(let probe):
                        try await writer.write(
                            .with {
                                $0.kind = .clockReply(
                                    .with {
                                        $0.sequence = probe.sequence
                                        $0.workerNanos = probe.workerNanos
                                        $0.coordinatorNanos = clock.now.nanoseconds
                                    })
                            })
                    case .hello:
                        try await writer.write(
                            .with {
                                $0.kind = .welcome(
                                    .with {
                                        $0.workerID = "w1"
                                        $0.leaseMillis = 1_000
                                    })
                            })
                        try await writer.write(
                            .with {
                                $0.kind = .assignment(
                                    .with {
                                        $0.run = .init(record)
                                        $0.share = Share.whole.keyRanges
                                        $0.startCoordinatorNanos =
                                            clock.now.advanced(by: .milliseconds(200)).nanoseconds
                                        $0.maxShoppers = 1_000
                                        $0.connections = 8
                                        $0.requestTimeoutMillis = 5_000
                                    })
                            })
                        let until = clock.now.advanced(by: beatFor)
                        while clock.now < until {
                            try await writer.write(
                                .with { $0.kind = .heartbeat(.with { $0.coordinatorNanos = clock.now.nanoseconds }) })
                            await lastBeat.set(clock.now)
                            try await clock.sleep(for: .milliseconds(250))
                        }
                        // Silence: the stream stays open, nothing more is said.
                        try await clock.sleep(for: .seconds(30))
                    default:
                        continue
                    }
                }
                return [:]
            }
        }
    }

    @Test func aWorkerStopsOnItsOwnWhenTheLeaseRunsOut() async throws {
        let record = TestSupport.record(seconds: 30, rate: 50, target: "http://127.0.0.1:9", workers: 1)
        let clock = ManualClock()
        let lastBeat = Box<MonotonicInstant?>(nil)
        let server = GRPCServer(
            transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
            services: [
                SilentCoordinator(record: record, clock: clock, beatFor: .milliseconds(1_500), lastBeat: lastBeat)
            ])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let port = try #require(try await server.listeningAddress?.ipv4?.port)
            let log = ArrivalLog()
            let agent = WorkerAgent(
                configuration: WorkerAgentConfiguration(host: "127.0.0.1", port: port, name: "w1", token: "t"),
                logger: Logger(label: "lease-test"), runner: ScriptedRunner(clock: clock, log: log), clock: clock)
            group.addTask { try await agent.run() }
            let done = await clock.run(until: { agent.outcome != nil && agent.state.isFinished }, limit: .seconds(60))
            #expect(done)
            let outcome = try #require(agent.outcome)
            #expect(outcome.reason == .leaseExpired(after: .seconds(1)), "\(outcome.reason)")
            #expect(outcome.reason.isLossOfControl)
            let beat = try #require(await lastBeat.value)
            let last = try #require(log.all.map(\.sentAt).max())
            #expect(
                beat.duration(to: last) < .milliseconds(1_100),
                "an arrival \(beat.duration(to: last)) after the last heartbeat (lease 1 s)")
            #expect(log.all.count > 20)
            server.beginGracefulShutdown()
            group.cancelAll()
        }
    }
}

/// A coordinator that tells the worker to stop at its first word, then keeps its side of the stream open and says
/// nothing more: the worker leaves at once all the same, and its connection closes.
@Suite(.timeLimit(.minutes(1)))
struct LeaveTests {
    struct StoppingCoordinator: Stampede_V1_Coordinator.StreamingServiceProtocol {
        func attend(
            request: StreamingServerRequest<Stampede_V1_WorkerMessage>, context: ServerContext
        ) async throws -> StreamingServerResponse<Stampede_V1_CoordinatorMessage> {
            StreamingServerResponse { writer in
                try await writer.write(.with { $0.kind = .stop(.with { $0.reason = .init(StopReason.interrupted) }) })
                // The worker's side may end; this side stays open until the server goes.
                try await Task.sleep(for: .seconds(300))
                return [:]
            }
        }
    }

    @Test func aWorkerThatLeftClosesItsConnectionWhenTheCoordinatorKeepsItOpen() async throws {
        let server = GRPCServer(
            transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
            services: [StoppingCoordinator()])
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            let port = try #require(try await server.listeningAddress?.ipv4?.port)
            let agent = WorkerAgent(
                configuration: WorkerAgentConfiguration(host: "127.0.0.1", port: port, name: "w1", token: "t"),
                logger: Logger(label: "leave-test"), runner: ScriptedRunner(clock: ManualClock(), log: ArrivalLog()))
            let began = ContinuousClock.now
            try await agent.run()
            let took = ContinuousClock.now - began
            #expect(agent.outcome?.reason == .interrupted)
            #expect(agent.outcome?.stoppedByCoordinator == true)
            #expect(agent.stage == .closed)
            // Not the 5 s a finished worker gives the coordinator to close: told to stop, it leaves at once.
            #expect(took < .seconds(3), "told to stop, then took \(took) to leave")
            server.beginGracefulShutdown()
            group.cancelAll()
        }
    }
}

extension WorkerStateMachine.State {
    var isFinished: Bool { if case .finished = self { true } else { false } }
}
