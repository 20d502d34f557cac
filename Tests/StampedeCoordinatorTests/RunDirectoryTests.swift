import Foundation
import Logging
import StampedeCore
import StampedeReport
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

@Suite(.serialized, .timeLimit(.minutes(1)))
struct RunDirectoryTests {
    static func temporaryRuns() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("stampede-runs-\(UUID())").path
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
            RunDirectory.planFile, RunDirectory.intervalsFile, RunDirectory.reportFile, RunDirectory.textReportFile,
        ] {
            #expect(FileManager.default.fileExists(atPath: directory.file(file)), "\(file) missing")
        }
        let onDisk = try JSONReport.decode(
            Data(contentsOf: URL(fileURLWithPath: directory.file(RunDirectory.reportFile))))
        #expect(onDisk == original)
        let rebuilt = try ReportRebuilder.rebuild(directory)
        #expect(rebuilt.report.totals == original.totals)
        #expect(rebuilt.report.steps == original.steps)
        #expect(rebuilt.report.periods == original.periods)
        #expect(rebuilt.report.timeline == original.timeline)
        #expect(rebuilt.damagedLines == 0)
        #expect(rebuilt.consoleReport.contains("Latency per step"))
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
    }

    @Test func aDirectoryThatIsNotARunIsNamed() {
        #expect(throws: RunDirectoryError.self) { try RunDirectory.open("/nonexistent-run").load() }
    }
}
