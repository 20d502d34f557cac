import Foundation
import StampedeClock
import StampedeCore
import StampedeReport
import StampedeShop
import StampedeTestKit
import StampedeWorker
import Testing

@testable import StampedeCoordinator

/// Thresholds evaluated by the coordinator on the merged intervals: during the run (abort) and at the end.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct GateTests {
    static func thresholds(_ texts: [String]) throws -> [Threshold] {
        try texts.map { try ThresholdParser.parse($0) }
    }

    /// The shop fails every request from second 10 of a 60 s run on three workers: the abort threshold stays broken
    /// for its 2 s delay and the coordinator stops every worker (no request from any of them after); the report
    /// names the threshold and the instant.
    @Test func anAbortThresholdStopsTheRunWithinItsDelayAndASecond() async throws {
        try await withReferenceShop { shop, url in
            var record = TestSupport.record(seconds: 60, rate: 40, target: url, workers: 3)
            record.scenario.thresholds = try Self.thresholds([
                "error_rate(all) < 1% abort after 2s", "p99(all) < 5s",
            ])
            let failedAt = Box<MonotonicInstant?>(nil)
            let result = try await LocalCluster.run(record: record, .init(workers: 3)) { context in
                let start = await context.runStart()
                try? await context.clock.sleep(until: start.advanced(by: .seconds(10)))
                await failedAt.set(context.clock.now)
                shop.faults.fail()
            }
            let report = result.coordinator.report
            let start = try #require(report.run.startMonotonicNanos)
            let failing = Double(try #require(await failedAt.value).nanoseconds - start) / 1e9
            let abort = try #require(report.thresholds?.first { $0.threshold.hasPrefix("error_rate") })
            let abortedAt = try #require(abort.abortedAt)
            #expect(abortedAt - failing <= 2 + 1, "failing from \(failing) s, stopped at \(abortedAt) s")
            #expect(abortedAt - failing >= 2, "stopped before the delay: \(abortedAt) s")
            #expect(abort.outcome == .failed)
            #expect(report.run.interrupted)
            #expect(report.run.stopReason?.contains("error_rate(all) < 1%") == true)
            // Every worker was told to stop, and why.
            let outcomes = try result.workers.map { try $0.get() }
            #expect(outcomes.count == 3)
            #expect(
                outcomes.allSatisfy {
                    $0.stoppedByCoordinator && $0.reason == .thresholdBroken("error_rate(all) < 1%")
                }, "\(outcomes)")
            let last = try #require(shop.requests.entries.map(\.nanos).max())
            #expect(Double(last - start) / 1e9 - abortedAt < 1, "a request after the abort")
            #expect(RunJudgement.of(report).status == .thresholdFailed)
            #expect(
                ConsoleReport.render(report).contains("(INTERRUPTED: the threshold error_rate(all) < 1% broke (abort))")
            )
        }
    }

    /// The same plan on one worker and on three: every threshold has the same outcome and the same observed value,
    /// because the coordinator reads the merged histograms (each worker's p99 differs; their average would too).
    @Test func thresholdsOnThreeWorkersMatchOneWorker() async throws {
        var record = TestSupport.record(seconds: 5, rate: 120, target: "http://127.0.0.1:9")
        record.scenario.thresholds = try Self.thresholds([
            "p50(all) < 5ms", "p99(flow/step1) < 5ms", "max(all) < 10ms", "arrivals >= 99% of plan",
            "dropped == 0", "error_rate(all) < 1%",
        ])
        // Each arrival its own latency, the same whoever plays it: 0.5 to 8.2 ms.
        let latency: @Sendable (Arrival) -> UInt64 = { 500 + ($0.index * 7_919) % 7_700 }
        var one = record
        one.workers = 1
        var three = record
        three.workers = 3
        let alone = try await LocalCluster.run(record: one, .init(workers: 1, clock: ManualClock(), latency: latency))
        let together = try await LocalCluster.run(
            record: three, .init(workers: 3, clock: ManualClock(), latency: latency))
        let a = try #require(alone.coordinator.report.thresholds)
        let b = try #require(together.coordinator.report.thresholds)
        #expect(a.map(\.outcome) == b.map(\.outcome))
        #expect(a.map(\.observed) == b.map(\.observed))
        #expect(a.map(\.outcome) == [.passed, .failed, .passed, .passed, .passed, .passed], "\(a)")
        // The workers' own p99s are not the merged one.
        let perWorker = Dictionary(grouping: together.arrivals, by: \.worker).mapValues { entries in
            var histogram = LatencyHistogram()
            for entry in entries { histogram.record(microseconds: latency(entry.arrival)) }
            return histogram.summary.p99
        }
        let averaged = perWorker.values.reduce(0, +) / Double(perWorker.count)
        #expect(averaged != b[1].observed, "the average of the workers' p99s happens to equal the merged one")
    }
}
