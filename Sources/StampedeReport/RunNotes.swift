public import StampedeCore

/// What a run's figures do not say on their own: the seconds its generator held it back, and the arrivals it never
/// sent. The console prints each as a `NOTE` under the errors; the HTML report lists them under its verdicts.
public enum RunNotes {
    public static func of(_ report: RunReport) -> [String] {
        [
            Bottleneck.summary(report.timeline, count: Format.count),
            DroppedArrivals.summary(
                report.totals.shoppers, timeline: report.timeline, maxShoppers: report.run.maxShoppers,
                connections: report.run.connections,
                count: Format.count),
        ].compactMap { $0 }
    }
}
