import Testing

@testable import StampedeCore

struct InventoryVerifierTests {
    static func ledger(confirmed: Int, soldOut: Int = 0, failed: Int = 0) -> LedgerCounts {
        var counts = LedgerCounts()
        counts.confirmedUnits = confirmed
        counts.confirmations = confirmed
        counts.soldOut = soldOut
        counts.failed = failed
        counts.confirmedAt = (0..<UInt64(confirmed)).map { 1_000_000 + $0 * 1_000 }
        return counts
    }

    static func books(
        _ second: Double, stock: Int, sold: Int, reserved: Int? = 0, released: Int? = nil
    ) -> InventoryBooks {
        InventoryBooks(
            second: second, items: ["X": BookEntry(stock: stock, sold: sold, reserved: reserved, released: released)])
    }

    static func verdict(
        _ counts: LedgerCounts, before: InventoryBooks?, after: InventoryBooks?, problem: String? = nil,
        hold: Double? = nil
    ) -> InventoryVerdict {
        InventoryVerifier.verdicts(
            ledger: ["X": counts], before: before, after: after, problem: problem,
            announced: ["X": 100], hold: hold)[0]
    }

    @Test func anExactSellOutIsOK() {
        let verdict = Self.verdict(
            Self.ledger(confirmed: 100, soldOut: 1_900), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 0, sold: 100))
        #expect(verdict.summary == "ok")
        #expect(verdict.soldOutAt == 1.099)
        #expect(verdict.firstOversoldAt == nil)
    }

    @Test func overselling() {
        let verdict = Self.verdict(
            Self.ledger(confirmed: 137), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 0, sold: 100, reserved: 37))
        #expect(verdict.oversold == 37)
        #expect(verdict.phantom == 0 && verdict.unannounced == 0)
        #expect(verdict.firstOversoldAt == 1.1)
        #expect(verdict.summary == "OVERSOLD by 37")
    }

    @Test func confirmationsWithoutBooksArePhantomsAndBooksWithoutConfirmationsUnannounced() {
        let phantom = Self.verdict(
            Self.ledger(confirmed: 80), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 30, sold: 70))
        #expect(phantom.phantom == 10)
        let unannounced = Self.verdict(
            Self.ledger(confirmed: 60, failed: 5), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 35, sold: 65))
        #expect(unannounced.unannounced == 5)
        #expect(unannounced.summary == "UNANNOUNCED 5")
    }

    /// Confirmations came at 1.0–1.1 s; at the reading (5 s) every unpaid order is older than a 2 s hold.
    @Test func unitsLeftUnsoldAfterSayingSoldOutLeak() {
        let verdict = Self.verdict(
            Self.ledger(confirmed: 100, soldOut: 500), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 0, sold: 52, reserved: 48), hold: 2)
        #expect(verdict.leaked == 48)
        #expect(verdict.summary == "LEAKED 48")
        // Within the hold (or without knowing it), reserved units are held for their orders, not leaked.
        let withinHold = Self.verdict(
            Self.ledger(confirmed: 100, soldOut: 500), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 0, sold: 52, reserved: 48), hold: 60)
        #expect(withinHold.leaked == 0)
        #expect(withinHold.summary == "ok")
        let unknownHold = Self.verdict(
            Self.ledger(confirmed: 100, soldOut: 500), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 0, sold: 52, reserved: 48))
        #expect(unknownHold.leaked == 0)
        let noneTurnedAway = Self.verdict(
            Self.ledger(confirmed: 50), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 50, sold: 50))
        #expect(noneTurnedAway.leaked == 0)
    }

    /// A racy shop confirmed 150 of 100 and half are unpaid (reserved, within the hold): oversold and negative,
    /// never "leaked".
    @Test func unpaidUnitsOfAnOversoldShopAreNotLeaked() {
        let verdict = Self.verdict(
            Self.ledger(confirmed: 150, soldOut: 300), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: -50, sold: 100, reserved: 50), hold: 120)
        #expect(verdict.oversold == 50)
        #expect(verdict.negativeStock)
        #expect(verdict.leaked == 0)
        #expect(verdict.summary == "OVERSOLD by 50, NEGATIVE STOCK")
    }

    /// 120 confirmed of 100: 30 orders lapsed unpaid and their units went back on sale, 10 of them were sold again.
    /// The books know every confirmation (sold, reserved or released): no phantom, no oversell.
    @Test func lapsedOrdersAreReleasedNotPhantoms() {
        let verdict = Self.verdict(
            Self.ledger(confirmed: 120, soldOut: 40), before: Self.books(-1, stock: 100, sold: 0, released: 0),
            after: Self.books(95, stock: 10, sold: 80, reserved: 10, released: 30))
        #expect(verdict.released == 30)
        #expect(verdict.bookedByTarget == 120)
        #expect(verdict.phantom == 0)
        #expect(verdict.oversold == 0)
        #expect(verdict.summary == "ok")
        // Without the books saying what was released, the same figures look like phantoms.
        let blind = Self.verdict(
            Self.ledger(confirmed: 120, soldOut: 40), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(95, stock: 10, sold: 80, reserved: 10))
        #expect(blind.phantom == 30)
    }

    @Test func aSKUNobodyTriedToOrderIsNotOK() {
        let verdict = Self.verdict(
            LedgerCounts(), before: Self.books(-1, stock: 100, sold: 0), after: Self.books(5, stock: 100, sold: 0))
        #expect(verdict.verified)
        #expect(verdict.attempts == 0)
        #expect(verdict.summary == "no orders attempted")
        let failedOnly = Self.verdict(
            Self.ledger(confirmed: 0, failed: 3), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: 100, sold: 0))
        #expect(failedOnly.summary == "ok")
    }

    @Test func negativeStockIsFlagged() {
        let verdict = Self.verdict(
            Self.ledger(confirmed: 103), before: Self.books(-1, stock: 100, sold: 0),
            after: Self.books(5, stock: -3, sold: 103))
        #expect(verdict.negativeStock)
        #expect(verdict.summary.contains("NEGATIVE STOCK"))
    }

    @Test func missingBooksAreUnverifiedButConfirmationsBeyondTheAnnouncedStockStillShow() {
        let verdict = Self.verdict(Self.ledger(confirmed: 150), before: nil, after: nil, problem: "endpoint down")
        #expect(!verdict.verified)
        #expect(verdict.oversold == 50)
        #expect(verdict.summary == "UNVERIFIED (endpoint down): OVERSOLD by 50")
        let fine = Self.verdict(Self.ledger(confirmed: 90), before: nil, after: nil, problem: "endpoint down")
        #expect(fine.summary == "UNVERIFIED (endpoint down)")
        let absent = InventoryVerifier.verdicts(
            ledger: ["Y": Self.ledger(confirmed: 1)], before: Self.books(-1, stock: 1, sold: 0),
            after: Self.books(1, stock: 0, sold: 1), problem: nil, announced: [:])[0]
        #expect(!absent.verified)
        #expect(absent.problem == "Y is not in the target's books")
    }
}

struct LedgerRuleTests {
    @Test func responsesCountAsConfirmedSoldOutOrFailed() throws {
        let rule = LedgerRule(sku: try Template(parsing: "{{sku}}"), quantity: 2, soldOut: Expectation(status: [409]))
        #expect(rule.entry(status: 201, body: [UInt8](), stepAccepted: true) == .confirmed(units: 2))
        #expect(rule.entry(status: 409, body: [UInt8](), stepAccepted: false) == .soldOut)
        #expect(rule.entry(status: 500, body: [UInt8](), stepAccepted: false) == .failed)
        let byBody = LedgerRule(
            sku: try Template(parsing: "{{sku}}"), confirmed: Expectation(status: [200], bodyContains: "\"ok\":true"),
            soldOut: Expectation(status: [200], bodyContains: "sold out"))
        #expect(
            byBody.entry(status: 200, body: Array(#"{"ok":false,"reason":"sold out"}"#.utf8), stepAccepted: true)
                == .soldOut)
        #expect(
            byBody.entry(status: 200, body: Array(#"{"ok":true}"#.utf8), stepAccepted: true) == .confirmed(units: 1))
        #expect(byBody.entry(status: 200, body: Array(#"{"ok":false}"#.utf8), stepAccepted: true) == .failed)
    }
}

struct BurstTests {
    static func plan(window: ProfileWindow? = nil) throws -> Plan {
        let profile = Profile(
            name: "p", shape: .hourly(Array(repeating: 1, count: 24)),
            bursts: [
                Burst(label: "a", at: 36_000, crowd: 500, within: 1, flow: "f", sku: "A", stock: 10),
                Burst(label: "b", at: 72_000, crowd: 300, within: 0, flow: "f", sku: "B", stock: 10),
            ])
        return try Plan(profile: profile, scale: RunScale(peakRate: 10, compression: .speed(360), window: window))
    }

    @Test func aCrowdArrivesWithinItsWindowOnTopOfTheShape() throws {
        let plan = try Self.plan()
        let arrivals = Array(ArrivalSequence(plan: plan, process: .uniform, seed: 1))
        let first = arrivals.filter { $0.burst == 0 }
        let second = arrivals.filter { $0.burst == 1 }
        #expect(first.count == 500 && second.count == 300)
        let start = plan.realTime(ofBurst: 0)
        #expect(first.allSatisfy { $0.time >= start && $0.time < start + 1 })
        #expect(second.allSatisfy { $0.time == plan.realTime(ofBurst: 1) })
        #expect(zip(arrivals, arrivals.dropFirst()).allSatisfy { $0.time <= $1.time })
        #expect(Set(arrivals.map(\.index)).count == arrivals.count)
        #expect(abs(plan.expectedTotal - (Double(arrivals.count - 800) + 800)) <= 1)
        #expect(plan.slots.filter { $0.burst != nil }.map(\.period) == [10, 20])
    }

    @Test(arguments: [2, 3])
    func crowdsSplitExactlyAcrossWorkers(workers: Int) throws {
        let plan = try Self.plan()
        let whole = Array(ArrivalSequence(plan: plan, process: .poisson, seed: 4)).filter { $0.burst != nil }
        let parts = Share.equalShares(workers).map {
            Array(ArrivalSequence(plan: plan, process: .poisson, seed: 4, share: $0)).filter { $0.burst != nil }
        }
        #expect(parts.flatMap { $0 }.sorted { $0.index < $1.index } == whole.sorted { $0.index < $1.index })
        for part in parts { #expect(abs(Double(part.count) - 800 / Double(workers)) < 40) }
    }

    @Test func aWindowPlaysOnlyTheBurstsInsideIt() throws {
        let plan = try Self.plan(window: ProfileWindow(start: 9 * 3600, end: 11 * 3600))
        #expect(plan.slots.compactMap(\.burst) == [0])
        #expect(Array(ArrivalSequence(plan: plan, process: .uniform, seed: 1)).filter { $0.burst != nil }.count == 500)
    }
}

struct GroundTruthParsingTests {
    static let json = Array(
        #"{"skus":[{"sku":"A","stock":3,"sold":"7","reserved":1},{"sku":"B","stock":0,"sold":2}]}"#.utf8)

    @Test func booksAreReadByPath() throws {
        let books = try InventoryBooks.parse(
            json: Self.json, items: ValuePath(parsing: "$.skus"), sku: "sku", stock: "stock", sold: "sold",
            reserved: "reserved", second: 2
        ).get()
        #expect(books.items["A"] == BookEntry(stock: 3, sold: 7, reserved: 1))
        #expect(books.items["B"] == BookEntry(stock: 0, sold: 2, reserved: nil))
    }

    @Test(arguments: [("$.nothing", "expected an array"), ("$.skus", "lacks a number")])
    func problemsAreNamed(path: String, message: String) throws {
        let result = InventoryBooks.parse(
            json: Self.json, items: try ValuePath(parsing: path), sku: "sku", stock: "stock", sold: "missing",
            reserved: nil, second: 0)
        guard case .failure(let error) = result else {
            Issue.record("accepted")
            return
        }
        #expect(error.message.contains(message), "\(error.message)")
    }

    @Test func databaseURLs() {
        let url = DatabaseURL("postgres://shop:s%40cret@db.internal:6543/books")
        #expect(url?.user == "shop" && url?.password == "s@cret" && url?.host == "db.internal" && url?.port == 6543)
        #expect(url?.database == "books")
        #expect(url?.redacted == "postgres://shop:***@db.internal:6543/books")
        #expect(DatabaseURL("postgres://127.0.0.1")?.port == 5432)
        #expect(DatabaseURL("mysql://x") == nil)
        #expect(DatabaseURL("postgres://x:99999") == nil)
    }
}
