import Foundation
import StampedeCore
import StampedeHTTP
import StampedeShop
import StampedeTestKit
import StampedeVerify
import Testing

@testable import StampedeCoordinator

/// A crowd of 2,000 for 100 units against each inventory mode; the verdict comes from the shop's own books.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct FlashSaleTests {
    static func sale(
        _ mode: InventoryMode, store: ShopConfiguration.Store = .memory, workers: Int = 1, paying: Double = 1,
        hold: Double = 120, groundTruth: GroundTruthSpec?? = nil
    ) async throws -> (report: RunReport, books: StockItem?) {
        // The verdict's hold is the shop's plus its sweep (four times a second).
        let groundTruth = groundTruth ?? FlashSale.books(hold: hold + 0.5)
        let shop = ShopConfiguration(inventory: mode, reservationHold: .seconds(double: hold), store: store)
        return try await withReferenceShop(shop) { shop, url in
            let record = FlashSale.record(target: url, paying: paying, workers: workers, groundTruth: groundTruth)
            let result = try await LocalCluster.run(record: record, .init(workers: workers))
            let books = try await shop.inventory.snapshot().first { $0.sku == FlashSale.sku }
            return (result.coordinator.report, books)
        }
    }

    static func verdict(_ report: RunReport) throws -> InventoryVerdict {
        try #require(report.inventory.first { $0.sku == FlashSale.sku })
    }

    @Test func aRacyShopOversellsAndTheOvershootIsWhatItsBooksShow() async throws {
        let (report, books) = try await Self.sale(.racy)
        let verdict = try Self.verdict(report)
        let shop = try #require(books)
        #expect(verdict.verified)
        #expect(verdict.oversold > 0)
        #expect(verdict.oversold == shop.sold + shop.reserved - shop.initial, "books: \(shop)")
        #expect(verdict.confirmedUnits == shop.sold + shop.reserved)
        #expect(verdict.phantom == 0)
        #expect(verdict.firstOversoldAt != nil)
        #expect(verdict.summary.hasPrefix("OVERSOLD by \(verdict.oversold)"))
        let burst = try #require(report.bursts.first)
        #expect(burst.shoppers.started == 2_000)
        #expect(burst.confirmations == verdict.confirmations)
    }

    @Test func anAtomicShopSellsExactlyItsStock() async throws {
        let (report, books) = try await Self.sale(.atomic)
        let verdict = try Self.verdict(report)
        #expect(verdict.verified)
        #expect(verdict.oversold == 0)
        #expect(verdict.confirmedUnits == 100)
        #expect(verdict.soldOutTold == 1_900)
        #expect(verdict.leaked == 0)
        #expect(verdict.summary == "ok")
        #expect(books?.sold == 100 && books?.stock == 0)
        let burst = try #require(report.bursts.first)
        #expect(burst.timeToSellOut != nil)
        #expect(report.totals.requests.failed == 0)
    }

    /// The shop holds unpaid orders' units for 0.5 s and, leaky, never gives them back: at the final reading (0.3 s
    /// after the run), every unpaid order is older than the hold.
    @Test func aLeakyShopIsCaughtKeepingUnpaidUnits() async throws {
        let (report, books) = try await Self.sale(.leaky, paying: 0.5, hold: 0.5)
        let verdict = try Self.verdict(report)
        let shop = try #require(books)
        #expect(verdict.verified)
        #expect(shop.reserved > 0)
        #expect(verdict.leaked == shop.reserved, "books: \(shop)")
        #expect(verdict.leaked == 100 - shop.sold)
        #expect(verdict.oversold == 0)
        #expect(verdict.phantom == 0)
        #expect(verdict.summary.contains("LEAKED \(shop.reserved)"))
    }

    /// Unpaid orders lapse after the shop's 0.5 s hold and their units go back on sale: the books say so, and the
    /// confirmations of lapsed orders are not phantoms.
    @Test func lapsedOrdersAreReleasedNotPhantoms() async throws {
        let (report, books) = try await Self.sale(.atomic, paying: 0.5, hold: 0.5)
        let verdict = try Self.verdict(report)
        let shop = try #require(books)
        #expect(shop.released > 0, "books: \(shop)")
        #expect(verdict.released == shop.released)
        #expect(verdict.phantom == 0)
        #expect(verdict.oversold == 0)
        #expect(verdict.leaked == 0)
        #expect(verdict.summary == "ok", "\(verdict.summary)")
    }

    /// Unpaid orders of a racy shop are still within the shop's hold: reserved, not leaked.
    @Test func reservedUnitsWithinTheHoldAreNotLeaked() async throws {
        let (report, books) = try await Self.sale(.racy, paying: 0.5)
        let verdict = try Self.verdict(report)
        let shop = try #require(books)
        #expect(shop.reserved > 0)
        #expect(verdict.oversold > 0)
        #expect(verdict.leaked == 0, "\(verdict.summary)")
        #expect(!verdict.summary.contains("LEAKED"))
    }

    /// A crowd that arrives all at once at the start of second 1 is counted in second 1 of the timeline, never
    /// in second 0 (whose close may come a little after the crowd).
    @Test func aCrowdIsCountedInTheSecondItArrives() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { _, url in
            let record = FlashSale.record(target: url, crowd: 500, stock: 50, within: 0)
            let report = try await LocalCluster.run(record: record, .init(workers: 1)).coordinator.report
            let first = try #require(report.timeline.first { $0.second == 0 })
            let second = try #require(report.timeline.first { $0.second == 1 })
            #expect(first.shoppers.started < 10, "second 0: \(first.shoppers.started) started")
            #expect(second.shoppers.started >= 500, "second 1: \(second.shoppers.started) started")
        }
    }

    @Test func confirmationsTheBooksNeverSawArePhantoms() async throws {
        let (report, books) = try await Self.sale(.phantom)
        let verdict = try Self.verdict(report)
        #expect(verdict.phantom == verdict.confirmedUnits)
        #expect(verdict.phantom == 2_000)
        #expect(books?.sold == 0 && books?.reserved == 0)
        #expect(verdict.summary.contains("PHANTOM 2,000") || verdict.summary.contains("PHANTOM 2000"))
    }

    @Test func threeWorkersLedgersMergeIntoTheSameVerdict() async throws {
        let (report, books) = try await Self.sale(.racy, workers: 3)
        let verdict = try Self.verdict(report)
        let shop = try #require(books)
        #expect(report.workers.count == 3)
        #expect(report.workers.allSatisfy { $0.shoppers.started > 0 })
        #expect(verdict.oversold == shop.sold + shop.reserved - shop.initial)
        #expect(verdict.confirmedUnits == shop.sold + shop.reserved)
        #expect(report.bursts.first?.shoppers.started == 2_000)
    }

    @Test func booksThatCannotBeReadLeaveTheVerdictUnverifiedNeverOK() async throws {
        let down = GroundTruthSpec(
            source: .http(
                url: "http://127.0.0.1:9/books", items: try ValuePath(parsing: "$.skus"), sku: "sku",
                stock: "stock", sold: "sold", reserved: nil), every: 0)
        let missing = GroundTruthSpec(
            source: .http(
                url: "/admin/inventory", items: try ValuePath(parsing: "$.nothing"), sku: "sku",
                stock: "stock", sold: "sold", reserved: nil), every: 0)
        let noDatabase = GroundTruthSpec(
            source: .sql(urlEnvironment: "STAMPEDE_NO_SUCH_VARIABLE", query: "SELECT 1"), every: 0)
        for spec in [down, missing, noDatabase] {
            let (report, _) = try await Self.sale(.racy, groundTruth: spec)
            let verdict = try Self.verdict(report)
            #expect(!verdict.verified)
            #expect(verdict.problem != nil)
            #expect(verdict.summary.hasPrefix("UNVERIFIED"), "\(verdict.summary)")
            // Still flags what the shoppers' own confirmations prove against the announced stock.
            #expect(verdict.oversold > 0)
        }
    }

    @Test func aSKUTheBooksDoNotListIsUnverified() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { _, url in
            // The crowd orders a SKU the setup never created: every order is a 404, and the books lack it.
            var record = FlashSale.record(target: url, crowd: 50)
            record.scenario.setup = nil
            let report = try await LocalCluster.run(record: record, .init(workers: 1)).coordinator.report
            let verdict = try Self.verdict(report)
            #expect(!verdict.verified)
            #expect(verdict.problem?.contains("not in the target's books") == true)
        }
    }
}

/// The same sales against a PostgreSQL store (when the test command started PostgreSQL, as root).
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PostgresFlashSaleTests {
    static let url = ProcessInfo.processInfo.environment["STAMPEDE_TEST_POSTGRES_URL"].flatMap(DatabaseURL.init)

    @Test(
        .enabled(
            if: url != nil,
            "PostgreSQL tests skipped: STAMPEDE_TEST_POSTGRES_URL is not set (the test command sets it as root)"))
    func aRacyDatabaseStoreOversellsAndAnAtomicOneDoesNot() async throws {
        let racy = try await FlashSaleTests.sale(.racy, store: .postgres(Self.url!))
        let racyVerdict = try FlashSaleTests.verdict(racy.report)
        let books = try #require(racy.books)
        #expect(racyVerdict.oversold > 0)
        #expect(racyVerdict.oversold == books.sold + books.reserved - books.initial)
        let atomic = try await FlashSaleTests.sale(.atomic, store: .postgres(Self.url!))
        let atomicVerdict = try FlashSaleTests.verdict(atomic.report)
        #expect(atomicVerdict.oversold == 0)
        #expect(atomicVerdict.confirmedUnits == 100)
    }

    /// `setup: [{sql: …}]` runs against the books' database before the run: here it makes a table of books that
    /// the books' own query then reads.
    @Test(.enabled(if: url != nil, "PostgreSQL tests skipped: STAMPEDE_TEST_POSTGRES_URL is not set"))
    func setupRunsSQLAgainstTheBooksDatabase() async throws {
        let environment = ["STAMPEDE_TEST_BOOKS_DB": ProcessInfo.processInfo.environment["STAMPEDE_TEST_POSTGRES_URL"]!]
        let spec = GroundTruthSpec(
            source: .sql(
                urlEnvironment: "STAMPEDE_TEST_BOOKS_DB", query: "SELECT sku, stock, sold FROM stampede_setup_probe"),
            every: 1, settle: 0)
        let steps = [
            "DROP TABLE IF EXISTS stampede_setup_probe",
            "CREATE TABLE stampede_setup_probe (sku text, stock int, sold int)",
            "INSERT INTO stampede_setup_probe VALUES ('PROBE', 7, 3)",
        ].enumerated().map { Step(name: "sql-\($0.offset)", path: Template(literal: "/"), sql: $0.element) }
        let books = try await withHTTPClient { client in
            try await withBooksReader(
                spec, origin: Origin(url: "http://127.0.0.1:9")!, client: client, environment: environment
            ) { books in
                try await TargetSetup.run(
                    steps, origin: Origin(url: "http://127.0.0.1:9")!, client: client, books: books)
                return try await books!.read(second: 0).get()
            }
        }
        #expect(books.items["PROBE"]?.stock == 7)
        #expect(books.items["PROBE"]?.sold == 3)
    }

    @Test(.enabled(if: url != nil, "PostgreSQL tests skipped: STAMPEDE_TEST_POSTGRES_URL is not set"))
    func theBooksCanBeReadWithSQL() async throws {
        setenv("STAMPEDE_TEST_BOOKS_DB", ProcessInfo.processInfo.environment["STAMPEDE_TEST_POSTGRES_URL"]!, 1)
        let sql = GroundTruthSpec(
            source: .sql(
                urlEnvironment: "STAMPEDE_TEST_BOOKS_DB",
                query: "SELECT sku, stock, sold, reserved FROM stampede_inventory"), every: 1, settle: 0.3)
        let (report, books) = try await FlashSaleTests.sale(.racy, store: .postgres(Self.url!), groundTruth: sql)
        let verdict = try FlashSaleTests.verdict(report)
        let shop = try #require(books)
        #expect(verdict.verified)
        #expect(verdict.oversold == shop.sold + shop.reserved - shop.initial)
        let broken = GroundTruthSpec(
            source: .sql(urlEnvironment: "STAMPEDE_TEST_BOOKS_DB", query: "SELECT nonsense FROM nowhere"), every: 0)
        let (unverified, _) = try await FlashSaleTests.sale(.racy, store: .postgres(Self.url!), groundTruth: broken)
        #expect(try FlashSaleTests.verdict(unverified).summary.hasPrefix("UNVERIFIED"))
    }
}
