import Testing

@testable import StampedeCore

struct BottleneckTests {
    static func second(
        corrected: Double, uncorrected: Double, uncorrectedP99: Double? = nil, lagMs: UInt64 = 0, dropped: Int = 0,
        outOfFiles: Int = 0
    ) -> TimelinePoint {
        var shoppers = ArrivalCounts()
        shoppers.maxStartLagMicros = lagMs * 1_000
        shoppers.dropped = dropped
        func summary(_ p50: Double, _ p99: Double) -> LatencySummary {
            LatencySummary(count: 100, p50: p50, p90: p50, p99: p99, p999: p99, max: p99, mean: p50)
        }
        var requests = RequestCounts()
        if outOfFiles > 0 { requests.errors[.files] = outOfFiles }
        requests.errors[.connect] = 7  // a target's refusals are not the generator's
        return TimelinePoint(
            second: 0, clock: "", expected: 0, shoppers: shoppers, requests: requests, inFlight: 0, waiting: 0,
            corrected: summary(corrected, corrected), uncorrected: summary(uncorrected, uncorrectedP99 ?? uncorrected))
    }

    @Test func requestsWaitingInsideTheGeneratorWhileTheTargetAnswersFastAreTheGenerators() {
        // Measured at 60,000/s on one core: corrected p50 580 ms, uncorrected p50 3 ms and p99 4 ms.
        #expect(Bottleneck.generatorBound(Self.second(corrected: 580, uncorrected: 3, uncorrectedP99: 4)))
        #expect(Bottleneck.generatorBound(Self.second(corrected: 1, uncorrected: 1, lagMs: 150)))
    }

    @Test func aSlowTargetOrACalmRunIsNotTheGenerators() {
        // The target takes 590 ms: both latencies are high.
        #expect(!Bottleneck.generatorBound(Self.second(corrected: 600, uncorrected: 590)))
        #expect(!Bottleneck.generatorBound(Self.second(corrected: 0.3, uncorrected: 0.2)))
        // A target stalling some requests: the others wait for the connections those hold.
        #expect(!Bottleneck.generatorBound(Self.second(corrected: 500, uncorrected: 2, uncorrectedP99: 1_000)))
        // A short wait is not enough.
        #expect(!Bottleneck.generatorBound(Self.second(corrected: 30, uncorrected: 2)))
        #expect(Bottleneck.summary([Self.second(corrected: 600, uncorrected: 590)]) == nil)
    }

    @Test func theSummarySaysHowManySecondsAndWhatToDo() throws {
        let timeline = [
            Self.second(corrected: 0.3, uncorrected: 0.2),
            Self.second(corrected: 580, uncorrected: 3, dropped: 25_000),
            Self.second(corrected: 600, uncorrected: 3.2, lagMs: 46, dropped: 26_000),
        ]
        let text = try #require(Bottleneck.summary(timeline))
        #expect(text.hasPrefix("the generator, not the target, was the bottleneck in 2 of 3 seconds"))
        #expect(text.contains("waited a median 597 ms") || text.contains("waited a median 577 ms"), "\(text)")
        #expect(text.contains("51000 arrivals dropped"))
        let grouped = try #require(Bottleneck.summary(timeline, count: { "<\($0)>" }))
        #expect(grouped.contains("<51000> arrivals dropped"), "the report writes the count its own way")
        #expect(text.contains("scheduler lag up to 46 ms"))
    }

    /// Connections that failed for want of files are the generator's, whatever the latencies say.
    @Test func runningOutOfOpenFilesIsTheGenerators() throws {
        #expect(Bottleneck.generatorBound(Self.second(corrected: 0.3, uncorrected: 0.2, outOfFiles: 1)))
        #expect(!Bottleneck.generatorBound(Self.second(corrected: 0.3, uncorrected: 0.2)))
        let onlyFiles = try #require(
            Bottleneck.summary([
                Self.second(corrected: 0.3, uncorrected: 0.2, outOfFiles: 1_000),
                Self.second(corrected: 0.4, uncorrected: 0.2, outOfFiles: 431),
                Self.second(corrected: 0.3, uncorrected: 0.2),
            ]))
        #expect(onlyFiles.hasPrefix("the generator, not the target, was the bottleneck in 2 of 3 seconds: 1431 "))
        #expect(onlyFiles.contains("ran out of open files; raise its limit (ulimit -n)"), "\(onlyFiles)")
        #expect(!onlyFiles.contains("waited"), "no second waited: \(onlyFiles)")
        let both = try #require(
            Bottleneck.summary([
                Self.second(corrected: 580, uncorrected: 3, dropped: 25_000),
                Self.second(corrected: 0.3, uncorrected: 0.2, outOfFiles: 12),
            ]))
        #expect(both.contains("in 2 of 2 seconds: requests waited a median 577 ms"), "\(both)")
        #expect(both.contains("25000 arrivals dropped"), "\(both)")
        #expect(both.contains("; and 12 requests could not open a connection"), "\(both)")
    }
}
