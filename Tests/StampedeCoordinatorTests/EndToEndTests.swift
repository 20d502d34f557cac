import Foundation
import StampedeCore
import StampedeHTTP
import StampedeShop
import StampedeTestKit
import StampedeWorker
import Testing

@testable import StampedeCoordinator

/// Real runs against the reference shop on loopback, a few seconds each. Serialized: they measure time.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EndToEndTests {
    /// A steady run through the real path: a coordinator and one worker over loopback gRPC.
    static func rehearse(
        seconds: Double, rate: Double, scenario: Scenario, target: String, arrivals: ArrivalProcess = .uniform,
        maxShoppers: Int = 10_000, connections: Int = 64, seed: UInt64 = 1, stopAfter: Duration? = nil,
        runs: String? = nil
    ) async throws -> RunReport {
        let profile = Profile(name: "steady", shape: .stages([Stage(duration: seconds, from: 1, to: 1)]))
        let record = RunRecord(
            id: "test-\(seed)-\(Int(rate))-\(UUID().uuidString.prefix(6))", startedAt: "", profile: profile,
            scenario: scenario, scale: RunScale(peakRate: rate, compression: .speed(1)), target: target, seed: seed,
            arrivals: arrivals, workers: 1, maxShoppers: maxShoppers, connections: connections)
        let settings = ClusterSettings(
            expectedWorkers: 1, maxShoppersPerWorker: maxShoppers, connectionsPerWorker: connections,
            requestTimeout: .seconds(5))
        let result = try await LocalCluster.run(record: record, workers: 1, settings: settings, runs: runs) { context in
            guard let stopAfter else { return }
            try? await Task.sleep(for: stopAfter)
            context.coordinator.stop(reason: "test")
        }
        return result.coordinator.report
    }

    static func expectAccounted(_ report: RunReport) {
        let shoppers = report.totals.shoppers
        #expect(shoppers.planned == shoppers.started + shoppers.dropped)
        #expect(shoppers.started == shoppers.succeeded + shoppers.failed + shoppers.throttled)
        let requests = report.totals.requests
        #expect(requests.requests == requests.ok + requests.failed + requests.throttled)
        for period in report.periods {
            #expect(period.shoppers.planned == period.shoppers.started + period.shoppers.dropped)
        }
    }

    @Test func everyArrivalIsAccountedForAndADelayIsMeasured() async throws {
        try await withReferenceShop { shop, url in
            shop.faults.setDelay(.milliseconds(200), for: .product)
            let report = try await Self.rehearse(
                seconds: 4, rate: 50, scenario: TestPlans.gets(["/products", "/products/SKU-0001"]), target: url)
            Self.expectAccounted(report)
            let shoppers = report.totals.shoppers
            #expect(shoppers.dropped == 0)
            #expect(shoppers.failed == 0)
            #expect(abs(Double(shoppers.started) - report.totals.expected) <= 0.02 * report.totals.expected,
                    "started \(shoppers.started), expected \(report.totals.expected)")
            let product = try #require(report.steps.first { $0.step == "step2" })
            #expect(product.requests.ok == shoppers.started)
            #expect(product.corrected.p50 >= 200 && product.corrected.p50 <= 220, "p50 \(product.corrected.p50) ms")
            #expect(product.uncorrected.p50 >= 200 && product.uncorrected.p50 <= 220)
            let browse = try #require(report.steps.first { $0.step == "step1" })
            #expect(browse.corrected.p50 < 50)
            #expect(report.timeline.count >= 4)
        }
    }

    @Test func aStallShowsInTheCorrectedFiguresAndLessInTheUncorrected() async throws {
        try await withReferenceShop { shop, url in
            // The run starts about 1.1 s after the call (the coordinator waits for its worker, then 1 s).
            let stall = Task {
                try await Task.sleep(for: .milliseconds(2_700))
                shop.faults.stall(for: .seconds(1))
            }
            let report = try await Self.rehearse(
                seconds: 4, rate: 100, scenario: TestPlans.gets(["/products"]), target: url, connections: 2)
            try await stall.value
            Self.expectAccounted(report)
            let corrected = report.totals.corrected
            let uncorrected = report.totals.uncorrected
            // About 100 requests came due during the 1 s stall and waited for a connection: up to 1 s each.
            #expect(corrected.max >= 900, "corrected max \(corrected.max)")
            #expect(corrected.p99 >= 700, "corrected p99 \(corrected.p99)")
            #expect(corrected.p90 >= 300, "corrected p90 \(corrected.p90)")
            // Only the two requests on the wire saw the stall from their actual send.
            #expect(uncorrected.max >= 900)
            #expect(uncorrected.p99 < 100, "uncorrected p99 \(uncorrected.p99)")
            #expect(uncorrected.p90 < 50)
            #expect(report.totals.shoppers.failed == 0)
        }
    }

    @Test func arrivalsBeyondTheCapAreDroppedAndCounted() async throws {
        try await withReferenceShop { shop, url in
            shop.faults.setDelay(.milliseconds(400), for: .products)
            let report = try await Self.rehearse(
                seconds: 2, rate: 50, scenario: TestPlans.gets(["/products"]), target: url, maxShoppers: 5)
            Self.expectAccounted(report)
            #expect(report.totals.shoppers.dropped > 50)
            #expect(report.totals.shoppers.started >= 5)
            #expect(report.totals.shoppers.started < 40)
        }
    }

    @Test func throttledRequestsAreNotErrors() async throws {
        try await withReferenceShop(ShopConfiguration(maxInFlight: 2)) { shop, url in
            shop.faults.setDelay(.milliseconds(150), for: .products)
            let report = try await Self.rehearse(seconds: 2, rate: 60, scenario: TestPlans.gets(["/products"]), target: url)
            Self.expectAccounted(report)
            #expect(report.totals.requests.throttled > 0)
            #expect(report.totals.shoppers.throttled == report.totals.requests.throttled)
            #expect(report.totals.requests.failed == 0)
            #expect(report.totals.requests.errors.isEmpty)
        }
    }

    @Test func theSameSeedGivesTheSameShoppers() async throws {
        let scenario = Scenario(
            name: "mix", data: [DataList(name: "sku", values: ["SKU-0001", "SKU-0002", "SKU-0003"])],
            flows: [
                Flow(name: "look", weight: 1, steps: [Step(name: "view", path: try Template(parsing: "/products/{{sku}}"))]),
                Flow(name: "buy", weight: 2, steps: [
                    Step(name: "browse", path: Template(literal: "/products"), proceed: 0.5),
                    Step(name: "cart", method: "POST", path: Template(literal: "/cart/items"),
                         body: try Template(parsing: #"{"sku":"{{sku}}"}"#), contentType: "application/json"),
                ]),
            ])
        var runs: [[Int]] = []
        for _ in 0..<2 {
            let report = try await withReferenceShop { _, url in
                try await Self.rehearse(seconds: 2, rate: 80, scenario: scenario, target: url, arrivals: .poisson, seed: 99)
            }
            Self.expectAccounted(report)
            #expect(report.totals.requests.failed == 0)
            runs.append([report.totals.shoppers.planned] + report.steps.map(\.requests.requests))
        }
        #expect(runs[0] == runs[1])
        #expect(runs[0].allSatisfy { $0 > 0 })
    }

    @Test func aStoppedRunEndsSoonAndStillAccountsForEveryone() async throws {
        try await withReferenceShop { shop, url in
            shop.faults.setDelay(.milliseconds(5_000), for: .product)
            let began = ContinuousClock.now
            let report = try await Self.rehearse(
                seconds: 30, rate: 20, scenario: TestPlans.gets(["/products", "/products/SKU-0001"]), target: url,
                stopAfter: .milliseconds(1_800))
            #expect(ContinuousClock.now - began < .seconds(6))
            #expect(report.run.interrupted)
            Self.expectAccounted(report)
            #expect(report.totals.shoppers.failures[.cancelled, default: 0] + report.totals.shoppers.failures[.timeout, default: 0] > 0)
        }
    }
}
