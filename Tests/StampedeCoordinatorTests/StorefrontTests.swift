import Foundation
import NIOCore
import NIOHTTP1
import StampedeConfig
import StampedeCore
import StampedeHTTP
import StampedeRecorder
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// `scenarios/storefront.yaml` against the storefront (`stampede shop --storefront`): a CSRF-protected HTML login
/// with POST-redirect-GET, accounts from a CSV, a product picked by field, basket and payment URLs from responses,
/// one ledger over two steps, and the books.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct StorefrontTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func scenario() throws -> Scenario {
        try ScenarioLoader.load(path: repository.appendingPathComponent("scenarios/storefront.yaml").path)
    }

    /// Browsers for `seconds`, and a crowd of `crowd` flash buyers for `stock` phones at 00:00:01.
    static func record(
        _ scenario: Scenario, target: String, crowd: Int = 120, stock: Int = 30, seconds: Double = 3, workers: Int = 1
    ) -> RunRecord {
        var scenario = scenario
        scenario.setup = [
            Step(
                name: "reset", method: "POST", path: Template(literal: "/admin/reset"),
                body: .json(
                    .object([
                        .init(key: "stock", value: .object([.init(key: "FLASH-PHONE", value: .literal(String(stock)))]))
                    ])),
                expect: Expectation(status: [200]))
        ]
        scenario.groundTruth?.every = 1
        scenario.groundTruth?.settle = 0.3
        return RunRecord(
            id: "storefront-\(UUID().uuidString.prefix(6))", startedAt: "",
            profile: Profile(
                name: "storefront", shape: .stages([Stage(duration: seconds, from: 1, to: 1)]),
                bursts: [
                    Burst(
                        label: "phones", at: 1, crowd: crowd, within: 0.5, flow: "flash-buyer", sku: "FLASH-PHONE",
                        stock: stock)
                ]),
            scenario: scenario, scale: RunScale(peakRate: 10, compression: .speed(1)), target: Origin(url: target)!,
            seed: 5, arrivals: .uniform, workers: workers, maxShoppers: 10_000, connections: 64)
    }

    static func shop(_ mode: InventoryMode) -> ShopConfiguration {
        var configuration = ShopConfiguration(inventory: mode)
        configuration.storefront = .generated(count: 100_000)
        return configuration
    }

    static func step(_ report: RunReport, _ name: String) throws -> StepSummary {
        try #require(report.steps.first { $0.flow == "flash-buyer" && $0.step == name })
    }

    @Test func everyShopperOfAnAtomicStorefrontSucceedsAndTheVerdictIsOK() async throws {
        try await withReferenceShop(Self.shop(.atomic)) { shop, url in
            let report = try await LocalCluster.run(
                record: Self.record(try Self.scenario(), target: url), .init(workers: 1)
            )
            .coordinator.report
            #expect(report.totals.shoppers.failed == 0, "\(report.errorSamples ?? [])")
            #expect(report.totals.shoppers.succeeded == report.totals.shoppers.started)
            #expect(report.totals.requests.failed == 0)
            let verdict = try #require(report.inventory.first { $0.sku == "FLASH-PHONE" })
            #expect(verdict.summary == "ok", "\(verdict)")
            #expect(verdict.confirmedUnits == 30)
            #expect(verdict.soldOutTold == 120 - 30)
            // The login's POST and the redirect's GET are each a request of the step.
            #expect(try Self.step(report, "login").requests.requests == 2 * 120)
            // Only the 30 who got a phone reached checkout and pay: the payment URL came from the checkout.
            #expect(try Self.step(report, "pay").requests.ok == 30)
            #expect(shop.orders.counts().paid == 30)
            // Every flash buyer signed in as its own account (rows 1-120 of the feeder, sequential).
            #expect(Set(shop.storefront!.signedIn).count == 120)
        }
    }

    @Test func aRacyStorefrontOversellsAndTheBooksSaySo() async throws {
        try await withReferenceShop(Self.shop(.racy)) { _, url in
            let report = try await LocalCluster.run(
                record: Self.record(try Self.scenario(), target: url, crowd: 200, stock: 20), .init(workers: 1)
            ).coordinator.report
            let verdict = try #require(report.inventory.first { $0.sku == "FLASH-PHONE" })
            #expect(verdict.oversold > 0, "\(verdict)")
            #expect(verdict.summary.hasPrefix("OVERSOLD"))
            #expect(verdict.oversold == (verdict.bookedByTarget ?? 0) - 20)
        }
    }

    /// A wrong CSRF token: the storefront refuses the login with 403, and the report labels it at that step.
    @Test func aWrongCSRFTokenFailsTheLoginStepWithALabelledError() async throws {
        var scenario = try Self.scenario()
        let flow = try #require(scenario.flows.firstIndex { $0.name == "flash-buyer" })
        scenario.flows[flow].steps[1].body = .form([
            .init(name: "csrfmiddlewaretoken", value: Template(literal: "forged")),
            .init(name: "login-username", value: try Template(parsing: "{{users.email}}")),
            .init(name: "login-password", value: try Template(parsing: "{{users.password}}")),
        ])
        let forged = scenario
        try await withReferenceShop(Self.shop(.atomic)) { _, url in
            let report = try await LocalCluster.run(
                record: Self.record(forged, target: url, crowd: 40), .init(workers: 1)
            ).coordinator.report
            let login = try Self.step(report, "login")
            #expect(login.requests.errors == [.status4xx: 40])
            #expect(try Self.step(report, "products").requests.requests == 0)
            let sample = try #require(report.errorSamples?.first { $0.step == "login" })
            #expect(sample.detail.contains("answered 403"), "\(sample.detail)")
            #expect(sample.detail.contains("CSRF"), "\(sample.detail)")
        }
    }

    /// The basket answers only a signed-in session with its CSRF cookie: 20 baskets filled prove the cookies the
    /// login set crossed the steps (the same request without them is refused).
    @Test func theSessionCookieCarriesAcrossSteps() async throws {
        try await withReferenceShop(Self.shop(.atomic)) { _, url in
            let report = try await LocalCluster.run(
                record: Self.record(try Self.scenario(), target: url, crowd: 20, stock: 50), .init(workers: 1)
            ).coordinator.report
            #expect(try Self.step(report, "add-to-basket").requests.ok == 20)
            let refused = try await withHTTPClient { client in
                var request = HTTPRequest(
                    method: .POST, target: "/api/basket/add-product/",
                    body: ByteBuffer(string: #"{"url":"\#(url)/api/products/1/","quantity":1}"#))
                request.headers.add(name: "content-type", value: "application/json")
                request.headers.add(name: "x-csrftoken", value: "t")
                request.headers.add(name: "cookie", value: "csrftoken=t")
                return try await client.execute(request, to: Origin(url: url)!, timeout: .seconds(5))
            }
            #expect(refused.status == 403)
        }
    }

    /// A browser recording of the storefront (Chromium headless, scripts/record-har), drafted into a scenario by
    /// `stampede scenario from-har` and played as it is: every shopper logs in, buys and pays.
    @Test func theDraftOfABrowserRecordingRunsUnedited() async throws {
        let har = Self.repository.appendingPathComponent("Tests/StampedeRecorderTests/Recordings/storefront.har")
        let draft = ScenarioDraft.from(try HARFile.decode(try Data(contentsOf: har)), name: "storefront")
        let scenario = try ScenarioLoader.parse(draft.yaml(source: "storefront.har"), file: "draft.yaml")
        try await withReferenceShop(Self.shop(.atomic)) { shop, url in
            let report = try await TestSupport.rehearse(seconds: 2, rate: 4, scenario: scenario, target: url)
            #expect(report.totals.shoppers.started == 8)
            #expect(report.totals.shoppers.succeeded == 8, "\(report.errorSamples ?? [])")
            #expect(report.totals.requests.failed == 0)
            #expect(shop.orders.counts().paid == 8)
        }
    }

    /// A unique feeder over three workers: every shopper its own account, none shared.
    @Test func uniqueRowsAreNeverSharedAcrossWorkers() async throws {
        var scenario = try Self.scenario()
        scenario.feeders[0].pick = .unique
        let unique = scenario
        try await withReferenceShop(Self.shop(.atomic)) { shop, url in
            let record = Self.record(unique, target: url, crowd: 90, stock: 200, seconds: 2, workers: 3)
            let report = try await LocalCluster.run(record: record, .init(workers: 3)).coordinator.report
            #expect(report.totals.shoppers.failed == 0, "\(report.errorSamples ?? [])")
            let accounts = shop.storefront!.signedIn
            #expect(accounts.count == 90)
            #expect(Set(accounts).count == 90)
            // Burst shoppers take rows from the end of the file.
            #expect(accounts.contains("shopper1000@storefront.test"))
        }
    }
}
