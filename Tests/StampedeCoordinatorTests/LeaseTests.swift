import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import StampedeClock
import StampedeCore
import StampedeProtocol
import StampedeShop
import StampedeTestKit
import StampedeWorker
import SwiftProtobuf
import Testing

@testable import StampedeCoordinator

/// A coordinator that assigns a run, beats for a while, then falls silent without closing anything (as when a
/// link is cut): the worker must stop sending on its own within the lease.
@Suite(.serialized, .timeLimit(.minutes(1)))
struct LeaseTests {
    struct SilentCoordinator: Stampede_V1_Coordinator.StreamingServiceProtocol {
        let record: RunRecord
        let beatFor: Duration
        let lastBeat: LastBeat

        func attend(
            request: StreamingServerRequest<Stampede_V1_WorkerMessage>, context: ServerContext
        ) async throws -> StreamingServerResponse<Stampede_V1_CoordinatorMessage> {
            StreamingServerResponse { writer in
                for try await message in request.messages {
                    switch message.kind {
                    case .clockProbe(let probe):
                        try await writer.write(.with {
                            $0.kind = .clockReply(.with {
                                $0.sequence = probe.sequence
                                $0.workerNanos = probe.workerNanos
                                $0.coordinatorNanos = ProcessClock.now()
                            })
                        })
                    case .hello:
                        try await writer.write(.with { $0.kind = .welcome(.with { $0.workerID = "w1"; $0.leaseMillis = 1_000 }) })
                        try await writer.write(.with {
                            $0.kind = .assignment(.with {
                                $0.runRecordJson = try! JSONEncoder().encode(record)
                                $0.share = Share.whole.keyRanges
                                $0.startCoordinatorNanos = ProcessClock.now() + 200_000_000
                                $0.maxShoppers = 1_000
                                $0.connections = 8
                                $0.requestTimeoutMillis = 5_000
                            })
                        })
                        let until = ContinuousClock.now + beatFor
                        while ContinuousClock.now < until {
                            try await writer.write(.with { $0.kind = .heartbeat(.with { $0.coordinatorNanos = ProcessClock.now() }) })
                            await lastBeat.set(ProcessClock.now())
                            try await Task.sleep(for: .milliseconds(250))
                        }
                        // Silence: the stream stays open, nothing more is said.
                        try await Task.sleep(for: .seconds(30))
                    default:
                        continue
                    }
                }
                return [:]
            }
        }
    }

    actor LastBeat {
        var nanos: Int64 = 0
        func set(_ value: Int64) { nanos = value }
    }

    @Test func aWorkerStopsOnItsOwnWhenTheLeaseRunsOut() async throws {
        try await withReferenceShop { shop, url in
            let record = ClusterTests.record(seconds: 30, rate: 50, target: url)
            let lastBeat = LastBeat()
            let server = GRPCServer(
                transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: 0), transportSecurity: .plaintext),
                services: [SilentCoordinator(record: record, beatFor: .milliseconds(1_500), lastBeat: lastBeat)])
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask { try await server.serve() }
                let port = try #require(try await server.listeningAddress?.ipv4?.port)
                let agent = WorkerAgent(
                    configuration: WorkerAgentConfiguration(host: "127.0.0.1", port: port, name: "w1", token: "t"),
                    logger: Logger(label: "lease-test"))
                let outcome = try await agent.run(stop: StopSignal())
                #expect(outcome.reason.contains("lease expired"), "\(outcome.reason)")
                let beat = await lastBeat.nanos
                let last = try #require(shop.requests.entries.map(\.nanos).max())
                let after = Double(last - beat) / 1e9
                #expect(after < 1.1, "a request \(after) s after the last heartbeat (lease 1 s)")
                #expect(shop.requests.entries.count > 20)
                server.beginGracefulShutdown()
                group.cancelAll()
            }
        }
    }
}
