public import StampedeCore

/// The live line printed once a second while a run goes.
public enum ProgressLine {
    public static func render(_ progress: Progress) -> String {
        let p99 = progress.p99.map { Format.milliseconds($0) + " ms" } ?? "-"
        let planned = Int(progress.plannedSeconds.rounded(.up))
        return "[\(pad(String(progress.second + 1), String(planned).count))/\(planned)s \(progress.clock)] "
            + "arrivals \(pad(String(progress.shoppers.started), 5))/s (plan \(pad(Format.fixed(progress.expected, 0), 5))) "
            + "p99 \(pad(p99, 10))  err \(progress.requests.failed)  429 \(progress.requests.throttled)  "
            + "drop \(progress.shoppers.dropped)  going \(progress.inFlight)  "
            + "shoppers \(Format.count(progress.total.started)) of ~\(Format.count(progress.expectedTotal))"
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
