import Foundation
import StampedeClock
import StampedeCore
import StampedeShop
import StampedeTestKit
import StampedeWorker
import Testing

@testable import StampedeCoordinator

/// Coordinator and workers in this process over loopback gRPC, against the reference shop.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ClusterTests {
    static func record(seconds: Double, rate: Double, target: String, paths: [String] = ["/products"]) -> RunRecord {
        RunRecord(
            id: "cluster-\(UUID().uuidString.prefix(8))", startedAt: "",
            profile: Profile(name: "steady", shape: .stages([Stage(duration: seconds, from: 1, to: 1)])),
            scenario: TestPlans.gets(paths), scale: RunScale(peakRate: rate, compression: .speed(1)), target: target,
            seed: 3, arrivals: .uniform, workers: 3, maxShoppers: 10_000, connections: 16)
    }

    @Test func threeWorkersShareTheRunExactly() async throws {
        try await withReferenceShop { shop, url in
            let record = Self.record(seconds: 3, rate: 90, target: url)
            let result = try await LocalCluster.run(record: record, workers: 3)
            let report = result.coordinator.report
            EndToEndTests.expectAccounted(report)
            // Uniform arrivals split three ways are still exactly the plan.
            #expect(abs(Double(report.totals.shoppers.planned) - report.totals.expected) <= 1)
            #expect(report.totals.shoppers.started == report.totals.shoppers.planned)
            #expect(report.workers.map(\.name) == ["w1", "w2", "w3"])
            #expect(report.workers.allSatisfy { $0.status == .finished })
            for worker in report.workers {
                #expect(abs(Double(worker.shoppers.started) - report.totals.expected / 3) < 0.1 * report.totals.expected)
            }
            #expect(report.gaps.isEmpty)
            let byWorker = Dictionary(grouping: shop.requests.entries, by: { $0.worker ?? "-" })
            #expect(Set(byWorker.keys) == ["w1", "w2", "w3"])
            #expect(shop.requests.entries.count == report.totals.requests.requests)
            for outcome in result.workers { #expect((try? outcome.get()) != nil) }
            #expect(result.coordinator.mergedIntervals >= 9)
        }
    }

    @Test func aWorkerWithAWrongTokenIsRefusedAndSendsNothing() async throws {
        try await withReferenceShop { shop, url in
            let record = Self.record(seconds: 2, rate: 30, target: url)
            let result = try await LocalCluster.run(
                record: record, workers: 2, settings: ClusterSettings(expectedWorkers: 1),
                workerTokens: ["test-token", "not-the-token"])
            guard case .failure(let error) = result.workers[1] else {
                Issue.record("the worker with the wrong token was accepted")
                return
            }
            #expect("\(error)".contains("refused"))
            #expect("\(error)".contains("token"))
            #expect(shop.requests.entries.allSatisfy { $0.worker == "w1" })
            #expect(result.coordinator.report.totals.shoppers.started > 0)
        }
    }

    @Test func aLostWorkersShareGoesToTheOthersAndTheGapIsReported() async throws {
        try await withReferenceShop { _, url in
            let record = Self.record(seconds: 8, rate: 90, target: url)
            let killedAt = KillTime()
            let result = try await LocalCluster.run(record: record, workers: 3) { context in
                try? await Task.sleep(for: .milliseconds(3_500))
                await killedAt.set(ProcessClock.now())
                await context.workers[1].kill()
            }
            let report = result.coordinator.report
            let gap = try #require(report.gaps.first)
            #expect(report.gaps.count == 1)
            #expect(gap.worker == "w2")
            let start = try #require(report.run.startMonotonicNanos)
            let killSecond = Double(await killedAt.value - start) / 1e9
            #expect(gap.lostAt - killSecond < 2, "lost at \(gap.lostAt) s, killed at \(killSecond) s")
            #expect(gap.plannedNotSent > 0)
            #expect(abs(gap.share - 1.0 / 3) < 1e-9)
            // From the handover on, the survivors carry the whole plan.
            for point in report.timeline where Double(point.second) >= gap.to && Double(point.second) < 8 {
                #expect(abs(Double(point.shoppers.started) - point.expected) <= max(3, 0.1 * point.expected),
                        "second \(point.second): started \(point.shoppers.started), expected \(point.expected)")
            }
            #expect(gap.to - killSecond <= 3)
            let expectedSent = report.totals.expected - Double(gap.plannedNotSent)
            #expect(abs(Double(report.totals.shoppers.started) - expectedSent) <= 0.02 * expectedSent)
            EndToEndTests.expectAccounted(report)
            #expect(report.workers.first { $0.name == "w2" }?.status == .lost)
        }
    }

    @Test func aStopAtTheCoordinatorStopsEveryWorkerWithinASecond() async throws {
        try await withReferenceShop { shop, url in
            let record = Self.record(seconds: 20, rate: 60, target: url, paths: ["/products", "/products/SKU-0001"])
            let stoppedAt = KillTime()
            let result = try await LocalCluster.run(record: record, workers: 3) { context in
                try? await Task.sleep(for: .milliseconds(2_500))
                await stoppedAt.set(ProcessClock.now())
                context.coordinator.stop(reason: "Ctrl-C")
            }
            let stop = await stoppedAt.value
            let last = try #require(shop.requests.entries.map(\.nanos).max())
            #expect(Double(last - stop) / 1e9 < 1, "a request \(Double(last - stop) / 1e9) s after the stop")
            #expect(result.coordinator.report.run.interrupted)
            #expect(result.coordinator.report.run.actualSeconds < 8)
        }
    }

    @Test func aLateWorkerGetsAShareFromTheNextSecond() async throws {
        try await withReferenceShop { shop, url in
            let record = Self.record(seconds: 6, rate: 60, target: url)
            let result = try await LocalCluster.run(
                record: record, workers: 2, settings: ClusterSettings(expectedWorkers: 1), lateJoinAfter: [.seconds(2)])
            let report = result.coordinator.report
            #expect(report.workers.map(\.name).sorted() == ["w1", "w2"])
            let late = try #require(report.workers.first { $0.name == "w2" })
            #expect(late.shoppers.started > 0)
            let firstLate = try #require(shop.requests.entries.first { $0.worker == "w2" })
            let start = try #require(report.run.startMonotonicNanos)
            #expect(Double(firstLate.nanos - start) / 1e9 >= 2)
            #expect(abs(Double(report.totals.shoppers.started) - report.totals.expected) <= 2)
        }
    }
}

actor KillTime {
    var value: Int64 = 0
    func set(_ nanos: Int64) { value = nanos }
}
