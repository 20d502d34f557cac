public import StampedeCore

/// The live line printed once a second while a run goes.
public enum ProgressLine {
    public static func render(_ progress: Progress) -> String {
        let done = progress.expectedTotal > 0 ? Double(progress.total.planned) / progress.expectedTotal : 0
        let p99 = progress.p99.map { Format.milliseconds($0) + " ms" } ?? "-"
        return "[\(pad(String(progress.second + 1), 4))s \(progress.clock)] "
            + "arrivals \(pad(String(progress.shoppers.started), 5))/s (plan \(pad(Format.fixed(progress.expected, 0), 5))) "
            + "p99 \(pad(p99, 10))  err \(progress.requests.failed)  429 \(progress.requests.throttled)  "
            + "drop \(progress.shoppers.dropped)  going \(progress.inFlight)  "
            + "total \(Format.count(progress.total.started)) (\(Format.percent(min(1, done))))"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
