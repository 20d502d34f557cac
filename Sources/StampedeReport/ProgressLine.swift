public import StampedeCore

/// The live line printed once a second while a run goes.
public enum ProgressLine {
    public static func render(_ progress: Progress) -> String {
        let p99 = progress.p99.map { Format.milliseconds($0) + " ms" } ?? "-"
        let planned = Int(progress.plannedSeconds.rounded(.up))
        let point = progress.point
        return "[\(pad(String(point.second + 1), String(planned).count))/\(planned)s \(point.clock)] "
            + "arrivals \(pad(String(point.shoppers.started), 5))/s (plan \(pad(Format.fixed(point.expected, 0), 5))) "
            + "p99 \(pad(p99, 10))  err \(point.requests.failed)  429 \(point.requests.throttled)  "
            + "drop \(point.shoppers.dropped)  going \(point.inFlight)  "
            + (point.waiting > 0 ? "waiting \(point.waiting)  " : "")
            + "shoppers \(Format.count(progress.total.started)) of ~\(Format.count(progress.expectedTotal))"
            + (Bottleneck.generatorBound(point) ? "  GENERATOR-BOUND" : "")
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }
}
