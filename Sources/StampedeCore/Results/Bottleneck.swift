/// Whether a second was held back by the generator rather than by the target. The generator is the bottleneck
/// when its scheduler could not start arrivals on time, or when requests spent most of their time inside it
/// before they were sent (waiting for a connection or for its CPU) while the target answered fast: then the
/// corrected latency (from the intended start) is far above the uncorrected one (from the actual send), and even
/// the uncorrected p99 is short. A slow target raises both; a target that stalls some requests holds connections
/// others then wait for, and shows in the uncorrected p99. It is also the bottleneck when it could not open
/// connections because it ran out of open files: those failures are its own.
public enum Bottleneck {
    /// A second whose latest start came this late after its due time is the generator's.
    public static let schedulerLagMicros: UInt64 = 100_000
    /// A median request that waited this long in the generator, and more than it took the target to answer.
    public static let waitMilliseconds = 50.0

    /// How long the median request of a second waited in the generator before it was sent, in milliseconds.
    public static func medianWait(_ point: TimelinePoint) -> Double {
        guard point.corrected.count > 0, point.uncorrected.count > 0 else { return 0 }
        return max(0, point.corrected.p50 - point.uncorrected.p50)
    }

    /// A second the generator held back: its scheduler fell behind, or its requests waited inside it while the
    /// target answered fast, or it could not open connections for want of files.
    public static func generatorBound(_ point: TimelinePoint) -> Bool {
        waitedInTheGenerator(point) || outOfFiles(point) > 0
    }

    static func waitedInTheGenerator(_ point: TimelinePoint) -> Bool {
        if point.shoppers.maxStartLagMicros >= schedulerLagMicros { return true }
        let wait = medianWait(point)
        return wait >= waitMilliseconds && point.uncorrected.p99 < waitMilliseconds
    }

    /// Requests that found no file to open a connection with (`ErrorLabel.files`).
    static func outOfFiles(_ point: TimelinePoint) -> Int { point.requests.errors[.files, default: 0] }

    /// The console's sentence about a run whose generator was its bottleneck, or nil when it never was; `count`
    /// writes a count (the report groups its digits).
    public static func summary(_ timeline: [TimelinePoint], count: (Int) -> String = { String($0) }) -> String? {
        let bound = timeline.filter(generatorBound)
        guard !bound.isEmpty else { return nil }
        var findings: [String] = []
        let waited = bound.filter(waitedInTheGenerator)
        if !waited.isEmpty {
            let waits = waited.map(medianWait).sorted()
            let answers = waited.map(\.uncorrected.p50).sorted()
            let lag = waited.map(\.shoppers.maxStartLagMicros).max() ?? 0
            let dropped = waited.reduce(0) { $0 + $1.shoppers.dropped }
            findings.append(
                "requests waited a median \(Self.milliseconds(waits[waits.count / 2])) ms in the generator before "
                    + "they were sent while the target answered in \(Self.milliseconds(answers[answers.count / 2])) ms "
                    + "(scheduler lag up to \(Self.milliseconds(Double(lag) / 1000)) ms, \(count(dropped)) arrivals "
                    + "dropped in those seconds); add workers or cores, or connections (--connections) — these "
                    + "latencies are the generator's")
        }
        let files = bound.reduce(0) { $0 + outOfFiles($1) }
        if files > 0 {
            findings.append(
                "\(count(files)) requests could not open a connection because the generator ran out of open files; "
                    + "raise its limit (ulimit -n), or lower --max-shoppers or --connections — these failures are "
                    + "the generator's")
        }
        return "the generator, not the target, was the bottleneck in \(bound.count) of \(timeline.count) seconds: "
            + findings.joined(separator: "; and ")
    }

    private static func milliseconds(_ value: Double) -> String {
        value >= 10 ? String(Int(value.rounded())) : String((value * 10).rounded() / 10)
    }
}
