import Foundation
import NIOCore
import NIOPosix
import StampedeClock
import StampedeCore
import StampedeHTTP
import StampedeReport
import StampedeShop
import StampedeTestKit
import StampedeWorker
import Testing

@testable import StampedeCoordinator

/// Real runs against the reference shop on loopback, a few seconds each. Serialized: they measure time.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct EndToEndTests {
    @Test func everyArrivalIsAccountedForAndADelayIsMeasured() async throws {
        try await withReferenceShop { shop, url in
            shop.faults.setDelay(.milliseconds(200), for: .product)
            let report = try await TestSupport.rehearse(
                seconds: 4, rate: 50, scenario: TestPlans.gets(["/products", "/products/SKU-0001"]), target: url)
            TestSupport.expectAccounted(report)
            let shoppers = report.totals.shoppers
            #expect(shoppers.dropped == 0)
            #expect(shoppers.failed == 0)
            #expect(
                abs(Double(shoppers.started) - report.totals.expected) <= 0.02 * report.totals.expected,
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
            // The shop stalls for 1 s from 1.6 s into the run.
            let report = try await TestSupport.rehearse(
                seconds: 4, rate: 100, scenario: TestPlans.gets(["/products"]), target: url, connections: 2
            ) { context in
                let start = await context.runStart()
                try? await context.clock.sleep(until: start.advanced(by: .milliseconds(1_600)))
                shop.faults.stall(for: .seconds(1))
            }
            TestSupport.expectAccounted(report)
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

    /// The shop stops answering for 2 s with a 0.5 s request timeout: requests that time out count in the
    /// corrected latency at the timeout, so a stall longer than the timeout cannot hide behind a calm p99.
    @Test func aStallLongerThanTheTimeoutShowsInTheCorrectedLatency() async throws {
        try await withReferenceShop { shop, url in
            let report = try await TestSupport.rehearse(
                seconds: 3, rate: 100, scenario: TestPlans.gets(["/products"]), target: url, connections: 64,
                timeout: .milliseconds(500)
            ) { context in
                let start = await context.runStart()
                try? await context.clock.sleep(until: start.advanced(by: .milliseconds(500)))
                shop.faults.stall(for: .seconds(2))
            }
            TestSupport.expectAccounted(report)
            let timeouts = report.totals.requests.errors[.timeout, default: 0]
            #expect(timeouts > 50, "\(report.totals.requests.errors)")
            #expect(report.totals.corrected.count == UInt64(report.totals.requests.requests))
            #expect(report.totals.corrected.p99 >= 500, "corrected p99 \(report.totals.corrected.p99) ms")
            // The responses that did come are the second view, from their actual send.
            #expect(report.totals.uncorrected.count == UInt64(report.totals.requests.ok))
            let sample = try #require(report.errorSamples?.first { $0.label == .timeout })
            #expect(sample.detail.contains("GET /products"), "\(sample.detail)")
        }
    }

    /// One connection, taken by a request the target answers after 1.5 s: once one request waits for it, the
    /// arrivals due are held, not started only to queue. The stop's drain (0.5 s) ends before the connection comes
    /// free: the two shoppers going are cancelled, the arrivals still held are counted dropped, and none of them
    /// is sent to the target.
    @Test func arrivalsHeldForABusyConnectionAreDroppedWhenTheDrainEnds() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { _ in
            .respond(status: 200, body: "ok", delay: .milliseconds(1_500))
        }
        let report = try await TestSupport.rehearse(
            seconds: 2, rate: 20, scenario: TestPlans.gets(["/slow"]), target: server.baseURL, connections: 1
        ) { context in
            let start = await context.runStart()
            try? await context.clock.sleep(until: start.advanced(by: .milliseconds(500)))
            context.coordinator.stop()
        }
        let requests = server.requests
        await server.close()
        try await group.shutdownGracefully()
        TestSupport.expectAccounted(report)
        let shoppers = report.totals.shoppers
        // About ten arrivals came due before the stop; the first took the connection, the second waits for it.
        #expect(shoppers.started == 2, "started \(shoppers.started)")
        #expect(shoppers.failures[.cancelled, default: 0] == 2, "\(shoppers.failures)")
        #expect(shoppers.dropped >= 7, "dropped \(shoppers.dropped)")
        #expect(requests == 1)
    }

    /// A value that is not in the response: the report names the step and the path, and shows the body's start.
    @Test func anExtractionThatFindsNothingSaysWhereAndWhat() async throws {
        let scenario = Scenario(
            name: "extract",
            flows: [
                Flow(
                    name: "buy",
                    steps: [
                        Step(
                            name: "browse", path: Template(literal: "/products/SKU-0001"),
                            extract: [Extraction(variable: "cart", path: try ValuePath(parsing: "$.cart_id"))]),
                        Step(name: "cart", path: try Template(parsing: "/cart/{{cart}}")),
                    ])
            ])
        try await withReferenceShop { _, url in
            let report = try await TestSupport.rehearse(seconds: 1, rate: 20, scenario: scenario, target: url)
            #expect(report.totals.shoppers.failures[.extract, default: 0] == report.totals.shoppers.started)
            let sample = try #require(report.errorSamples?.first)
            #expect(sample.flow == "buy" && sample.step == "browse" && sample.label == .extract)
            #expect(sample.detail.contains("$.cart_id"), "\(sample.detail)")
            #expect(sample.detail.contains("SKU-0001"), "the body's start: \(sample.detail)")
            #expect(report.errorSamples?.count == 1)
            // The second step was never reached: no latency, "-" in the console.
            let cart = try #require(report.steps.first { $0.step == "cart" })
            #expect(cart.requests.requests == 0)
            #expect(ConsoleReport.render(report).contains("buy/cart"))
        }
    }

    @Test func arrivalsBeyondTheCapAreDroppedAndCounted() async throws {
        try await withReferenceShop { shop, url in
            shop.faults.setDelay(.milliseconds(400), for: .products)
            let report = try await TestSupport.rehearse(
                seconds: 2, rate: 50, scenario: TestPlans.gets(["/products"]), target: url, maxShoppers: 5)
            TestSupport.expectAccounted(report)
            #expect(report.totals.shoppers.dropped > 50)
            #expect(report.totals.shoppers.started >= 5)
            #expect(report.totals.shoppers.started < 40)
        }
    }

    @Test func throttledRequestsAreNotErrors() async throws {
        try await withReferenceShop(ShopConfiguration(maxInFlight: 2)) { shop, url in
            shop.faults.setDelay(.milliseconds(150), for: .products)
            let report = try await TestSupport.rehearse(
                seconds: 2, rate: 60, scenario: TestPlans.gets(["/products"]), target: url)
            TestSupport.expectAccounted(report)
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
                Flow(
                    name: "look", weight: 1,
                    steps: [Step(name: "view", path: try Template(parsing: "/products/{{sku}}"))]),
                Flow(
                    name: "buy", weight: 2,
                    steps: [
                        Step(name: "browse", path: Template(literal: "/products"), proceed: 0.5),
                        Step(
                            name: "cart", method: "POST", path: Template(literal: "/cart/items"),
                            body: try Template(parsing: #"{"sku":"{{sku}}"}"#), contentType: "application/json"),
                    ]),
            ])
        var runs: [[Int]] = []
        for _ in 0..<2 {
            let report = try await withReferenceShop { _, url in
                try await TestSupport.rehearse(
                    seconds: 2, rate: 80, scenario: scenario, target: url, arrivals: .poisson, seed: 99)
            }
            TestSupport.expectAccounted(report)
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
            let report = try await TestSupport.rehearse(
                seconds: 30, rate: 20, scenario: TestPlans.gets(["/products", "/products/SKU-0001"]), target: url,
                stopAfter: .milliseconds(1_800))
            #expect(ContinuousClock.now - began < .seconds(6))
            #expect(report.run.interrupted)
            TestSupport.expectAccounted(report)
            #expect(
                report.totals.shoppers.failures[.cancelled, default: 0]
                    + report.totals.shoppers.failures[.timeout, default: 0] > 0)
        }
    }

    /// A rate far beyond what a worker can even count (a mistyped --peak-rate), against a port nothing listens on:
    /// the scheduler, behind for the whole run, still lets its event loop poll now and then. The first attempt is
    /// refused at once and said so. Before, a scheduler that never let go of its loop left that attempt unanswered
    /// until the drain, 10 s later: its connect timed out, and every shopper failed by timeout.
    @Test func aSchedulerFarBehindStillLetsItsLoopPoll() async throws {
        let report = try await TestSupport.rehearse(
            seconds: 1, rate: 5_000_000, scenario: TestPlans.gets(["/nothing"]), target: "http://127.0.0.1:9",
            maxShoppers: 50, connections: 4, timeout: .seconds(4))
        TestSupport.expectAccounted(report)
        let errors = report.totals.requests.errors
        #expect(errors[.connect, default: 0] > 100, "\(errors)")
        let refused = try #require(report.errorSamples?.first { $0.label == .connect }, "\(errors)")
        #expect(refused.at < 1, "\(refused)")
        #expect(refused.detail.contains("connection refused"), "\(refused)")
        #expect(report.totals.shoppers.dropped > 1_000_000)
    }

    /// Asked for 2,000,000,000 shoppers in 1 s, a worker with room for 50 drops nearly all of them, and counts them
    /// without making each one: the run ends on time and every arrival of the plan is counted. Before, dropping
    /// one by one (about 45 ns each in a release build, more here), the run outlasted its plan many times over
    /// and shoppers that started late failed by timeout before they sent a thing.
    @Test(arguments: [ArrivalProcess.uniform, .poisson])
    func arrivalsBeyondCountingAreDroppedAsOneCountAndTheRunEndsOnTime(process: ArrivalProcess) async throws {
        let report = try await TestSupport.rehearse(
            seconds: 1, rate: 2_000_000_000, scenario: TestPlans.gets(["/nothing"]), target: "http://127.0.0.1:9",
            arrivals: process, maxShoppers: 50, connections: 4, timeout: .seconds(4))
        TestSupport.expectAccounted(report)
        let shoppers = report.totals.shoppers
        // Uniform arrivals keep the plan to the shopper; a Poisson count strays by σ = √2,000,000,000 ≈ 44,700.
        let tolerance = process == .uniform ? 1 : 5 * 2_000_000_000.0.squareRoot()
        #expect(abs(Double(shoppers.planned) - 2_000_000_000) <= tolerance, "planned \(shoppers.planned)")
        #expect(shoppers.dropped > 1_999_000_000)
        #expect(report.run.actualSeconds < 6, "a 1 s plan ran \(report.run.actualSeconds) s")
        #expect(Array(report.totals.requests.errors.keys) == [.connect], "\(report.totals.requests.errors)")
    }
}
