import Foundation
import Histogram
import Testing

@testable import StampedeCore

struct HistogramTests {
    static func values(seed: UInt64, count: Int) -> [UInt64] {
        var random = SeededRandom(seed: seed)
        // A long-tailed mix: most around 1-5 ms, a few up to seconds.
        return (0..<count).map { _ in
            let u = random.nextUnit()
            return u < 0.98 ? 1_000 + random.next() % 4_000 : 50_000 + random.next() % 3_000_000
        }
    }

    /// Our layout and percentile rules are HdrHistogram's: the same values give the same figures as
    /// hdrhistogram-swift (each percentile being the top of its bucket).
    @Test(arguments: [1, 2, 3])
    func figuresMatchHdrHistogramSwift(seed: UInt64) {
        var ours = LatencyHistogram()
        var reference = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var random = SeededRandom(seed: seed)
        for _ in 0..<20_000 {
            // Spread over the whole range, log-uniform.
            let value = UInt64(exp(Double(random.nextUnit()) * log(59_000_000.0)))
            ours.record(microseconds: value)
            _ = reference.record(value)
        }
        for p in [0.0, 1, 25, 50, 75, 90, 99, 99.9, 99.99, 100] {
            #expect(
                ours.microseconds(atPercentile: p)
                    == reference.highestEquivalentForValue(reference.valueAtPercentile(p)), "p\(p)")
        }
        let summary = ours.summary
        #expect(summary.max == Double(reference.max) / 1000)
        #expect(abs(summary.mean - reference.mean / 1000) < 1e-9 * summary.mean)
        #expect(summary.p99 == Double(reference.highestEquivalentForValue(reference.valueAtPercentile(99))) / 1000)
        for value in [0, 1, 2047, 2048, 2049, 4095, 4096, 123_456, 59_999_999, 60_000_000] as [UInt64] {
            #expect(HistogramLayout.highestEquivalent(value) == reference.highestEquivalentForValue(value))
            #expect(HistogramLayout.medianEquivalent(value) == reference.medianEquivalentForValue(value))
            #expect(HistogramLayout.lowestEquivalent(value) == reference.lowestEquivalentForValue(value))
        }
    }

    @Test func aHistogramAndItsSparseFormGiveTheSameFigures() {
        var histogram = LatencyHistogram()
        for value in Self.values(seed: 4, count: 5_000) { histogram.record(microseconds: value) }
        for p in [50.0, 90, 99, 99.9, 100] {
            let fromSparse = HistogramAccumulator.percentile(p, of: histogram.sparse)
            #expect(fromSparse == histogram.microseconds(atPercentile: p))
        }
        var reset = histogram
        reset.reset()
        #expect(reset.isEmpty && reset.sparse.isEmpty && reset == LatencyHistogram())
    }

    @Test func sparseFormRebuildsTheSameHistogram() {
        var histogram = LatencyHistogram()
        for value in Self.values(seed: 1, count: 5_000) { histogram.record(microseconds: value) }
        let rebuilt = LatencyHistogram(histogram.sparse)
        #expect(rebuilt.count == histogram.count)
        for p in [50.0, 90, 99, 99.9, 100] {
            #expect(rebuilt.microseconds(atPercentile: p) == histogram.microseconds(atPercentile: p))
        }
        #expect(rebuilt.sparse == histogram.sparse)
    }

    @Test func mergingEqualsRecordingTheUnion() {
        let parts = (1...3).map { Self.values(seed: UInt64($0), count: 3_000) }
        var merged = LatencyHistogram()
        var accumulator = HistogramAccumulator()
        for part in parts {
            var histogram = LatencyHistogram()
            for value in part { histogram.record(microseconds: value) }
            merged.merge(histogram)
            accumulator.add(histogram.sparse)
        }
        var union = LatencyHistogram()
        for value in parts.flatMap({ $0 }) { union.record(microseconds: value) }
        #expect(merged.summary == union.summary)
        #expect(accumulator.summary == union.summary)
    }

    /// The accumulator's merge of sorted lists (in place when every bucket is already known, a two-way merge when
    /// not) gives exactly the buckets of merging full histograms, whatever the order and overlap of the parts.
    @Test(arguments: [7, 8, 9])
    func accumulatingSparsePartsEqualsMergingHistograms(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var merged = LatencyHistogram()
        var accumulator = HistogramAccumulator()
        for part in 0..<60 {
            var histogram = LatencyHistogram()
            // Parts of every shape: empty, one bucket, a few narrow ones, wide spreads, and repeats of known buckets.
            let count = part % 10 == 0 ? 0 : Int(random.next() % 200) + 1
            let spread = part % 3 == 0 ? 100 : 2_000_000
            for _ in 0..<count { histogram.record(microseconds: 500 + random.next() % UInt64(spread)) }
            merged.merge(histogram)
            accumulator.add(histogram.sparse)
            #expect(accumulator.sparse == merged.sparse, "after part \(part)")
        }
        var other = HistogramAccumulator()
        other.add(accumulator)
        other.add(accumulator)
        var twice = merged
        twice.merge(merged)
        #expect(other.sparse == twice.sparse)
        #expect(!accumulator.isEmpty && HistogramAccumulator().isEmpty)
    }

    @Test func valuesBeyondTheRangeCountAsTheMaximum() {
        var histogram = LatencyHistogram()
        histogram.record(seconds: 120)
        histogram.record(seconds: -1)
        #expect(histogram.count == 2)
        #expect(histogram.maxMicroseconds >= LatencyHistogram.highestMicroseconds)
        #expect(histogram.microseconds(atPercentile: 0) == 0)
    }

    @Test(arguments: [
        #"{"v":[1,2],"c":[1]}"#, #"{"v":[5,3],"c":[1,1]}"#, #"{"v":[1],"c":[0]}"#, #"{"v":[99999999999],"c":[1]}"#,
        #"{"v":[1,2],"c":[18446744073709551615,1]}"#, #"{"v":[1]}"#,
    ])
    func decodingRefusesBadPairs(json: String) {
        #expect(throws: (any Error).self) { try JSONDecoder().decode(SparseHistogram.self, from: Data(json.utf8)) }
    }
}
