import Histogram
public import StampedeCore

/// HdrHistogram's percentile distribution text (`.hgrm`), the format its plotting tools read, rendered by
/// hdrhistogram-swift from a run's histogram. Values in milliseconds.
public enum PercentileDistribution {
    public static func render(_ sparse: SparseHistogram) -> String {
        var histogram = Histogram<UInt64>(
            lowestDiscernibleValue: 1, highestTrackableValue: HistogramLayout.highestTrackable,
            numberOfSignificantValueDigits: .three)
        for (value, count) in zip(sparse.values, sparse.counts) {
            _ = histogram.record(min(value, HistogramLayout.highestTrackable), count: count)
        }
        var text = ""
        histogram.outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1000)
        return text
    }
}
