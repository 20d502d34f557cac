import Foundation
import StampedeCore
import StampedeShop
import StampedeTestKit
import StampedeWorker
import Testing

@testable import StampedeCoordinator

/// Coordinator and workers in this process over loopback gRPC, sending real load to the reference shop.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterTests {
    @Test func threeWorkersShareTheRunExactly() async throws {
        try await withReferenceShop { shop, url in
            let record = TestSupport.record(seconds: 3, rate: 90, target: url)
            let result = try await LocalCluster.run(record: record, .init(workers: 3))
            let report = result.coordinator.report
            TestSupport.expectAccounted(report)
            // Uniform arrivals split three ways are still exactly the plan.
            #expect(abs(Double(report.totals.shoppers.planned) - report.totals.expected) <= 1)
            #expect(report.totals.shoppers.started == report.totals.shoppers.planned)
            #expect(report.workers.map(\.name) == ["w1", "w2", "w3"])
            #expect(report.workers.allSatisfy { $0.status == .finished })
            for worker in report.workers {
                #expect(
                    abs(Double(worker.shoppers.started) - report.totals.expected / 3) < 0.1 * report.totals.expected)
            }
            #expect(report.gaps.isEmpty)
            let byWorker = Dictionary(grouping: shop.requests.entries, by: { $0.worker ?? "-" })
            #expect(Set(byWorker.keys) == ["w1", "w2", "w3"])
            #expect(shop.requests.entries.count == report.totals.requests.requests)
            for outcome in result.workers { #expect((try? outcome.get())?.reason == .planOver) }
            #expect(result.coordinator.mergedIntervals >= 9)
        }
    }

    @Test func aWorkerWithAWrongTokenIsRefusedAndSendsNothing() async throws {
        try await withReferenceShop { shop, url in
            let record = TestSupport.record(seconds: 2, rate: 30, target: url)
            let result = try await LocalCluster.run(
                record: record,
                .init(
                    workers: 2, settings: CoordinatorSettings(expectedWorkers: 1),
                    workerTokens: ["test-token", "not-the-token"]))
            guard case .failure(let error) = result.workers[1] else {
                Issue.record("the worker with the wrong token was accepted")
                return
            }
            #expect((error as? WorkerAgentError)?.code == .refused, "\(error)")
            #expect("\(error)".contains("token"))
            #expect(shop.requests.entries.allSatisfy { $0.worker == "w1" })
            #expect(result.coordinator.report.totals.shoppers.started > 0)
        }
    }
}
