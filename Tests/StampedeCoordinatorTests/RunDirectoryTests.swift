import Foundation
import Logging
import StampedeCore
import StampedeReport
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

@Suite(.serialized, .timeLimit(.minutes(1)))
struct RunDirectoryTests {
    static func temporaryRuns() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("stampede-runs-\(UUID())").path
    }

    /// Runs started in the same second are given names of their own; the second one failed with exit 70.
    @Test func aRunStartedInTheSameSecondGetsANameOfItsOwn() throws {
        let runs = Self.temporaryRuns()
        defer { try? FileManager.default.removeItem(atPath: runs) }
        let base = "20261128-094412-flash-sale"
        #expect(RunDirectory.freeID(base, under: runs) == base)
        for expected in [base, "\(base)-2", "\(base)-3"] {
            let id = RunDirectory.freeID(base, under: runs)
            #expect(id == expected)
            try FileManager.default.createDirectory(
                atPath: (runs as NSString).appendingPathComponent(id), withIntermediateDirectories: true)
        }
        #expect(RunDirectory.freeID("other", under: runs) == "other")
    }

    @Test func theReportRebuildsFromDiskAlone() async throws {
        let runs = Self.temporaryRuns()
        defer { try? FileManager.default.removeItem(atPath: runs) }
        let original = try await withReferenceShop { _, url in
            try await TestSupport.rehearse(
                seconds: 2, rate: 40, scenario: TestPlans.gets(["/products", "/cart"]), target: url, runs: runs)
        }
        let directory = RunDirectory.open((runs as NSString).appendingPathComponent(original.run.id))
        for file in [
            RunDirectory.planFile, RunDirectory.intervalsFile, RunDirectory.factsFile, RunDirectory.reportFile,
            RunDirectory.textReportFile,
        ] {
            #expect(FileManager.default.fileExists(atPath: directory.file(file)), "\(file) missing")
        }
        let onDisk = try JSONReport.decode(
            Data(contentsOf: URL(fileURLWithPath: directory.file(RunDirectory.reportFile))))
        #expect(onDisk == original)
        let rebuilt = try ReportRebuilder.rebuild(directory)
        #expect(rebuilt.report == original)
        #expect(rebuilt.damagedLines == 0)
        #expect(rebuilt.consoleReport.contains("Latency per step"))
    }

    /// A flash sale (the books read before, during and after) and a payment drill (the ledgers): rebuilt from the
    /// directory, every figure and every verdict is the original's.
    @Test func aRebuiltReportKeepsItsVerdicts() async throws {
        let runs = Self.temporaryRuns()
        defer { try? FileManager.default.removeItem(atPath: runs) }
        let sale = try await withReferenceShop(ShopConfiguration(inventory: .racy, reservationHold: .seconds(120))) {
            _, url in
            try await LocalCluster.run(
                record: FlashSale.record(target: url, crowd: 400, stock: 50), .init(workers: 1, runs: runs)
            )
            .coordinator.report
        }
        #expect(sale.inventory.first?.verified == true)
        #expect(sale.books.count >= 2)
        let drill = try await PaymentDrillFixture.withChannels { simulators in
            try await withReferenceShop(PaymentDrillFixture.shop(simulators, mode: .naive)) { _, url in
                let record = PaymentDrillFixture.record(
                    target: url, simulators: simulators, fault: .timeout, seconds: 4)
                return try await LocalCluster.run(record: record, .init(workers: 1, runs: runs)).coordinator.report
            }
        }
        #expect(drill.payments?.verified == true)
        for original in [sale, drill] {
            let rebuilt = try ReportRebuilder.rebuild(
                RunDirectory.open((runs as NSString).appendingPathComponent(original.run.id)))
            #expect(rebuilt.report == original)
            #expect(rebuilt.report.inventory.map(\.summary) == original.inventory.map(\.summary))
            #expect(rebuilt.report.payments?.summary == original.payments?.summary)
        }
    }

    /// A run whose coordinator died: the rebuild says it was interrupted and what it could not know, and never
    /// calls a verdict "ok" it cannot prove.
    @Test func anInterruptedRunsRebuildSaysWhatItCouldNotKnow() async throws {
        let runs = Self.temporaryRuns()
        defer { try? FileManager.default.removeItem(atPath: runs) }
        let original = try await withReferenceShop { _, url in
            try await LocalCluster.run(
                record: FlashSale.record(target: url, crowd: 200, stock: 50), .init(workers: 1, runs: runs)
            )
            .coordinator.report
        }
        // As if the coordinator had died before the end: drop the final reading and the end from the facts.
        let directory = RunDirectory.open((runs as NSString).appendingPathComponent(original.run.id))
        let facts = URL(fileURLWithPath: directory.file(RunDirectory.factsFile))
        let lines = try String(contentsOf: facts, encoding: .utf8).split(separator: "\n")
            .filter { !$0.contains("\"ended\"") && !$0.contains("\"after\"") }
        try (lines.joined(separator: "\n") + "\n").write(to: facts, atomically: true, encoding: .utf8)
        let rebuilt = try ReportRebuilder.rebuild(directory)
        #expect(rebuilt.report.run.interrupted)
        #expect(rebuilt.report.unknowns?.isEmpty == false)
        #expect(rebuilt.consoleReport.contains("What this report could not know"))
        let verdict = try #require(rebuilt.report.inventory.first)
        #expect(!verdict.verified)
        #expect(verdict.summary.hasPrefix("UNVERIFIED"))
    }

    @Test func aLineCutShortByACrashIsSkippedAndTheRestCounts() async throws {
        let runs = Self.temporaryRuns()
        defer { try? FileManager.default.removeItem(atPath: runs) }
        let original = try await withReferenceShop { _, url in
            try await TestSupport.rehearse(
                seconds: 2, rate: 40, scenario: TestPlans.gets(["/products"]), target: url, runs: runs)
        }
        let directory = RunDirectory.open((runs as NSString).appendingPathComponent(original.run.id))
        let intervals = URL(fileURLWithPath: directory.file(RunDirectory.intervalsFile))
        var data = try Data(contentsOf: intervals)
        let lines = data.split(separator: 0x0A)
        // Cut the last line in half, as a crash mid-write would.
        data =
            Data(lines.dropLast().joined(separator: [0x0A])) + Data([0x0A])
            + Data(lines.last!.prefix(lines.last!.count / 2))
        try data.write(to: intervals)
        let rebuilt = try ReportRebuilder.rebuild(directory)
        #expect(rebuilt.damagedLines == 1)
        #expect(rebuilt.report.totals.shoppers.planned <= original.totals.shoppers.planned)
        #expect(rebuilt.report.totals.shoppers.planned > 0)

        // A bad line that is not the last is no crash: it is named, by its line and the field, in plain words.
        try (Data("{\"worker\": \"w1\"}\n".utf8) + data).write(to: intervals)
        let midway = #expect(throws: RunDirectoryError.self) { try directory.load() }
        #expect(
            midway?.message.hasPrefix("\(intervals.path):1: not an interval report (") == true
                && midway?.message.contains(": missing); `stampede report --skip-unreadable ") == true
                && midway?.message.contains("CodingKeys") == false, "\(String(describing: midway))")
        // Asked to, the report leaves that line out, names it, and counts the rest.
        let skipping = try ReportRebuilder.rebuild(directory, write: false, skippingUnreadable: true)
        #expect(skipping.unreadable.count == 1 && skipping.unreadable[0].hasPrefix("\(intervals.path):1: "))
        #expect(skipping.damagedLines == 1)
        #expect(skipping.report.totals.shoppers.planned == rebuilt.report.totals.shoppers.planned)
        try Data("{}".utf8).write(to: URL(fileURLWithPath: directory.file(RunDirectory.planFile)))
        let plan = #expect(throws: RunDirectoryError.self) { try directory.load() }
        #expect(
            plan?.message.hasSuffix("plan.json: not a run plan (format: missing)") == true,
            "\(String(describing: plan))")
    }

    @Test func aDirectoryThatIsNotARunIsNamed() {
        #expect(throws: RunDirectoryError.self) { try RunDirectory.open("/nonexistent-run").load() }
    }
}
