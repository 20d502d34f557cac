/// Two runs side by side (`stampede compare BASE NEW`): per step p50/p90/p99/p99.9 and the error and 429 rates,
/// the arrival accuracy, the verdicts. A change is a regression only when it is worse by more than the tolerance
/// (10 % by default, and at least `minLatencyChange` / `minRateChange`) **and** by more than the noise between the
/// runs. A run's noise in a figure is the larger of two spreads: over resamples of its seconds with replacement (a
/// seeded bootstrap; it sees a run whose seconds differ from each other), and the sampling spread of the figure from
/// its number of requests (the order statistics around a quantile, the binomial spread of a rate). What the two
/// runs cannot show is not judged, only shown: a step with fewer than `minSeconds` seconds of requests in either
/// run (a flash sale's crowd, over within a second: one event per run, whose spread between runs no single run
/// can measure — gate it with thresholds and verdicts), and a quantile with fewer than `minTailRequests` requests
/// beyond it (a p99 of 100 requests is their maximum).
public struct RunComparison: Codable, Sendable, Equatable {
    public struct Settings: Codable, Sendable, Equatable {
        /// A relative change below this is never a regression.
        public var tolerance: Double
        /// Latency changes below this many milliseconds are never regressions (below a millisecond, the machine's
        /// noise is the story, not the target).
        public var minLatencyChange: Double
        /// Rate changes below this (a fraction) are never regressions.
        public var minRateChange: Double
        /// A quantile is judged only with at least this many requests beyond it in both runs.
        public var minTailRequests: Int
        /// A step is judged only with requests in at least this many seconds of both runs.
        public var minSeconds: Int
        /// Bootstrap resamples per figure.
        public var resamples: Int
        public var seed: UInt64

        public init(
            tolerance: Double = 0.10, minLatencyChange: Double = 1, minRateChange: Double = 0.001,
            minTailRequests: Int = 10, minSeconds: Int = 10, resamples: Int = 200, seed: UInt64 = 1
        ) {
            self.tolerance = tolerance
            self.minLatencyChange = minLatencyChange
            self.minRateChange = minRateChange
            self.minTailRequests = minTailRequests
            self.minSeconds = minSeconds
            self.resamples = resamples
            self.seed = seed
        }
    }

    /// What the change of a figure amounts to.
    public enum Change: String, Codable, Sendable, Equatable {
        case regression, improvement, unchanged
        /// Too few requests to judge (a tail quantile), or the figure is missing from one run.
        case unjudged
    }

    /// One figure of one step (or of the run) in both runs.
    public struct Row: Codable, Sendable, Equatable {
        /// "buyer/order", or "run".
        public var subject: String
        /// "p99", "error rate", "arrivals of plan", a verdict's name.
        public var figure: String
        public var base: Double?
        public var new: Double?
        /// Twice the combined standard deviation of the two runs' figures: changes within it are noise.
        public var noise: Double?
        public var change: Change
        public var note: String?

        public var regression: Bool { change == .regression }
    }

    public var base: String
    public var new: String
    public var settings: Settings
    public var rows: [Row]
    /// What the two runs played differently (scenario, profile, target, window, rate, speed, arrivals), and a run
    /// that stopped before its end: their figures differ for those reasons too.
    public var differences: [String]

    public var regressions: [Row] { rows.filter(\.regression) }
    /// The figure that says how fully each run delivered its plan: the one row that is not about the target.
    public static let arrivalsFigure = "arrivals of plan"
    /// True when nothing of the target's behaviour could be judged: every step's figures were too thin (or in one
    /// run only) and no verdict was compared. "No regression" would then say nothing.
    public var judgedNothing: Bool {
        !rows.contains { $0.figure != Self.arrivalsFigure && $0.change != .unjudged }
    }
    /// Why figures were not judged, each reason once, in the order of the rows (steps named).
    public var unjudgedReasons: [String] {
        var seen: Set<String> = []
        return rows.compactMap { row in
            guard row.change == .unjudged, let note = row.note else { return nil }
            let reason = "\(row.subject): \(note.hasPrefix("not judged: ") ? String(note.dropFirst(12)) : note)"
            return seen.insert(reason).inserted ? reason : nil
        }
    }
    /// Figures shown but not judged (too few seconds or requests, or in one run only).
    public var unjudged: Int { rows.filter { $0.change == .unjudged }.count }

    /// The per-second figures of one run, by step name ("flow/step").
    public struct Series: Sendable {
        public var id: String
        /// Per step, per second: the corrected latency and the request counts.
        public var seconds: [String: [Int: (histogram: SparseHistogram, counts: RequestCounts)]]
        public var report: RunReport

        public init(id: String, intervals: [IntervalReport], scenario: Scenario, report: RunReport) {
            self.id = id
            self.report = report
            var accumulated: [String: [Int: (HistogramAccumulator, RequestCounts)]] = [:]
            for interval in intervals {
                for record in interval.steps {
                    let names = scenario.names(of: record.id)
                    let key = "\(names.flow)/\(names.step)"
                    var entry =
                        accumulated[key, default: [:]][interval.second] ?? (HistogramAccumulator(), RequestCounts())
                    entry.0.add(record.corrected)
                    entry.1.add(record.counts)
                    accumulated[key, default: [:]][interval.second] = entry
                }
            }
            seconds = accumulated.mapValues { perSecond in perSecond.mapValues { ($0.0.sparse, $0.1) } }
        }

        public init(
            id: String, seconds: [String: [Int: (histogram: SparseHistogram, counts: RequestCounts)]], report: RunReport
        ) {
            self.id = id
            self.seconds = seconds
            self.report = report
        }
    }

    public static func compare(_ base: Series, _ new: Series, settings: Settings = Settings()) -> RunComparison {
        var rows: [Row] = []
        var random = SeededRandom(seed: settings.seed)
        let steps =
            base.report.steps.map { "\($0.flow)/\($0.step)" }
            + new.report.steps.map { "\($0.flow)/\($0.step)" }.filter { name in
                !base.report.steps.contains { "\($0.flow)/\($0.step)" == name }
            }
        for step in steps {
            let a = base.seconds[step] ?? [:]
            let b = new.seconds[step] ?? [:]
            guard !a.isEmpty || !b.isEmpty else { continue }
            let quantiles: [(String, Double)] = [("p50", 50), ("p90", 90), ("p99", 99), ("p99.9", 99.9)]
            let (baseFigures, baseNoise) = figures(
                a, quantiles: quantiles.map(\.1), settings: settings, random: &random)
            let (newFigures, newNoise) = figures(b, quantiles: quantiles.map(\.1), settings: settings, random: &random)
            let requests = min(baseFigures?.requests ?? 0, newFigures?.requests ?? 0)
            let seconds = min(a.count, b.count)
            let brief =
                seconds < settings.minSeconds
                ? "not judged: requests in \(seconds) second\(seconds == 1 ? "" : "s") of a run, "
                    + "\(settings.minSeconds) needed to measure the noise" : nil
            for (index, (name, quantile)) in quantiles.enumerated() {
                let tail = Double(requests) * (1 - quantile / 100)
                let thin =
                    tail < Double(settings.minTailRequests)
                    ? "not judged: \(requests) requests, \(settings.minTailRequests) needed beyond the quantile" : nil
                rows.append(
                    row(
                        subject: step, figure: name + " ms", base: baseFigures?.latencies[index],
                        new: newFigures?.latencies[index],
                        noise: combined(baseNoise?.latencies[index], newNoise?.latencies[index]),
                        floor: settings.minLatencyChange, settings: settings, unjudged: brief ?? thin))
            }
            rows.append(
                row(
                    subject: step, figure: "error rate", base: baseFigures?.errorRate, new: newFigures?.errorRate,
                    noise: combined(baseNoise?.errorRate, newNoise?.errorRate), floor: settings.minRateChange,
                    settings: settings, unjudged: brief))
            rows.append(
                row(
                    subject: step, figure: "429 rate", base: baseFigures?.throttledRate, new: newFigures?.throttledRate,
                    noise: combined(baseNoise?.throttledRate, newNoise?.throttledRate), floor: settings.minRateChange,
                    settings: settings, unjudged: brief))
        }
        let accuracy = { (report: RunReport) -> Double? in
            report.totals.expected > 0 ? Double(report.totals.shoppers.started) / report.totals.expected : nil
        }
        if let baseAccuracy = accuracy(base.report), let newAccuracy = accuracy(new.report) {
            let worse = baseAccuracy - newAccuracy
            let allowed = settings.tolerance * baseAccuracy
            rows.append(
                Row(
                    subject: "run", figure: Self.arrivalsFigure, base: baseAccuracy, new: newAccuracy, noise: nil,
                    change: worse > allowed ? .regression : -worse > allowed ? .improvement : .unchanged,
                    note: worse > allowed ? "the plan was delivered less fully" : nil))
        }
        for verdict in new.report.inventory {
            let before = base.report.inventory.first { $0.sku == verdict.sku }
            let wasFine = before.map { !$0.failed } ?? true
            let nowFailed = verdict.verified && verdict.failed
            rows.append(
                Row(
                    subject: verdict.sku, figure: "oversell verdict", base: nil, new: nil, noise: nil,
                    change: wasFine && nowFailed
                        ? .regression : !wasFine && !verdict.failed ? .improvement : .unchanged,
                    note: "\(before?.summary ?? "not in the base run") → \(verdict.summary)"))
        }
        if let payments = new.report.payments {
            let before = base.report.payments
            let wasFine = !(before?.failedVerdict ?? false)
            rows.append(
                Row(
                    subject: "payments", figure: "payment verdict", base: nil, new: nil, noise: nil,
                    change: wasFine && payments.verified && payments.failedVerdict
                        ? .regression : !wasFine && !payments.failedVerdict ? .improvement : .unchanged,
                    note: "\(before?.summary ?? "not in the base run") → \(payments.summary)"))
            if let before, payments.primaryFaulted { rows.append(failover(before, payments)) }
        }
        return RunComparison(
            base: base.id, new: new.id, settings: settings, rows: rows,
            differences: differences(base.report.run, new.report.run))
    }

    /// Seconds to fail over in both drills. One failover per run: its spread between runs no single run can show,
    /// so two times are shown, not judged (gate it with `failover_time < 2s`). A drill that failed over before and
    /// never does now has lost its failover: that is judged, whatever the noise.
    static func failover(_ base: PaymentVerdict, _ new: PaymentVerdict) -> Row {
        let text = { (seconds: Double?) in seconds.map { "after \(PaymentVerdict.seconds($0))" } ?? "never" }
        let note = "\(text(base.failoverSeconds)) → \(text(new.failoverSeconds))"
        let change: Change
        let why: String
        if !base.verified || !new.verified {
            (change, why) = (.unjudged, "not judged: a drill is UNVERIFIED; ")
        } else {
            switch (base.failoverSeconds, new.failoverSeconds) {
            case (_?, nil): (change, why) = (.regression, "no payment went through a backup: ")
            case (nil, _?): (change, why) = (.improvement, "")
            case (nil, nil): (change, why) = (.unchanged, "")
            case (_?, _?):
                (change, why) = (.unjudged, "not judged: one failover per run, gate it with failover_time; ")
            }
        }
        return Row(
            subject: "payments", figure: "failover s", base: base.failoverSeconds, new: new.failoverSeconds,
            noise: nil, change: change, note: why + note)
    }

    /// What makes two runs' figures differ besides the target's behaviour: each entry names the setting and both
    /// values ("peak rate 800/s → 1600/s"), or the run that stopped before its end.
    static func differences(_ base: RunInfo, _ new: RunInfo) -> [String] {
        // To four decimals: a peak of 10/m read "0.16666666666666666/s".
        func number(_ value: Double) -> String {
            let rounded = (value * 10_000).rounded() / 10_000
            return rounded == rounded.rounded() && abs(rounded) < 1e15 ? String(Int(rounded)) : String(rounded)
        }
        let settings: [(String, String, String)] = [
            ("scenario", base.scenario, new.scenario), ("profile", base.profile, new.profile),
            ("target", base.target, new.target), ("window", base.window, new.window),
            ("peak rate", number(base.peakRate) + "/s", number(new.peakRate) + "/s"),
            ("speed", number(base.speed) + "x", number(new.speed) + "x"),
            ("arrivals", base.arrivals.rawValue, new.arrivals.rawValue),
        ]
        let changed = settings.filter { $0.1 != $0.2 }.map { "\($0.0) \($0.1) → \($0.2)" }
        let stopped = [("the base run", base), ("the new run", new)].compactMap { name, run in
            run.interrupted ? "\(name) stopped before its end (\(run.stopReason ?? "interrupted"))" : nil
        }
        return changed + stopped
    }

    /// Worse (higher) by more than the tolerance, the floor and the noise is a regression; better by as much an
    /// improvement.
    private static func row(
        subject: String, figure: String, base: Double?, new: Double?, noise: Double?, floor: Double,
        settings: Settings, unjudged: String? = nil
    ) -> Row {
        guard let base, let new else {
            return Row(
                subject: subject, figure: figure, base: base, new: new, noise: noise, change: .unjudged,
                note: base == nil ? "not in the base run" : "not in the new run")
        }
        if let unjudged {
            return Row(
                subject: subject, figure: figure, base: base, new: new, noise: noise, change: .unjudged, note: unjudged)
        }
        let change = new - base
        let allowed = max(settings.tolerance * base, floor, noise ?? 0)
        let relative = Self.percent(abs(change) / max(base, 1e-12))
        if change > allowed {
            return Row(
                subject: subject, figure: figure, base: base, new: new, noise: noise, change: .regression,
                note: "worse by \(relative), more than the \(Self.round(allowed, figure)) allowed")
        }
        return Row(
            subject: subject, figure: figure, base: base, new: new, noise: noise,
            change: -change > allowed ? .improvement : .unchanged,
            note: -change > allowed ? "better by \(relative)" : nil)
    }

    private static func combined(_ a: Double?, _ b: Double?) -> Double? {
        guard let a, let b else { return nil }
        return 2 * (a * a + b * b).squareRoot()
    }

    struct Figures {
        var latencies: [Double]
        var errorRate: Double
        var throttledRate: Double
        var requests: Int
    }

    /// A step's figures over the whole run, and the noise in each: the larger of its standard deviation over
    /// bootstrap resamples of the seconds and its sampling spread from the number of requests.
    private static func figures(
        _ seconds: [Int: (histogram: SparseHistogram, counts: RequestCounts)], quantiles: [Double], settings: Settings,
        random: inout SeededRandom
    ) -> (Figures?, Figures?) {
        let parts = seconds.keys.sorted().map { seconds[$0]! }
        guard !parts.isEmpty else { return (nil, nil) }
        func measure(_ picked: [Int]) -> Figures? {
            var histogram = HistogramAccumulator()
            var counts = RequestCounts()
            for index in picked {
                histogram.add(parts[index].histogram)
                counts.add(parts[index].counts)
            }
            guard counts.requests > 0, !histogram.isEmpty else { return nil }
            let sparse = histogram.sparse
            return Figures(
                latencies: quantiles.map { Double(HistogramAccumulator.percentile($0, of: sparse)) / 1000 },
                errorRate: Double(counts.failed) / Double(counts.requests),
                throttledRate: Double(counts.throttled) / Double(counts.requests), requests: counts.requests)
        }
        guard let whole = measure(Array(parts.indices)) else { return (nil, nil) }
        let sampling = samplingSpread(of: whole, parts: parts, quantiles: quantiles)
        var samples: [Figures] = []
        for _ in 0..<max(2, settings.resamples) {
            let picked = parts.indices.map { _ in Int(random.next() % UInt64(parts.count)) }
            if let figures = measure(picked) { samples.append(figures) }
        }
        guard samples.count >= 2 else { return (whole, sampling) }
        func deviation(_ values: [Double]) -> Double {
            let mean = values.reduce(0, +) / Double(values.count)
            return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
        }
        let noise = Figures(
            latencies: quantiles.indices.map { index in
                max(deviation(samples.map { $0.latencies[index] }), sampling.latencies[index])
            },
            errorRate: max(deviation(samples.map(\.errorRate)), sampling.errorRate),
            throttledRate: max(deviation(samples.map(\.throttledRate)), sampling.throttledRate),
            requests: whole.requests)
        return (whole, noise)
    }

    /// The spread of a figure from its number of requests alone: for a quantile q of n requests, the rank of the
    /// quantile in a resample of the requests spreads by √(n·q·(1−q)), so half the distance between the values at
    /// the ranks one spread either side; for a rate p, the binomial √(p·(1−p)/n).
    private static func samplingSpread(
        of whole: Figures, parts: [(histogram: SparseHistogram, counts: RequestCounts)], quantiles: [Double]
    ) -> Figures {
        var histogram = HistogramAccumulator()
        for part in parts { histogram.add(part.histogram) }
        let sparse = histogram.sparse
        let n = Double(max(whole.requests, 1))
        let latencies = quantiles.map { percent in
            let q = percent / 100
            let spread = (n * q * (1 - q)).squareRoot() / n * 100
            let low = Double(HistogramAccumulator.percentile(max(0, percent - spread), of: sparse))
            let high = Double(HistogramAccumulator.percentile(min(100, percent + spread), of: sparse))
            return (high - low) / 2 / 1000
        }
        func rate(_ p: Double) -> Double { (p * (1 - p) / n).squareRoot() }
        return Figures(
            latencies: latencies, errorRate: rate(whole.errorRate), throttledRate: rate(whole.throttledRate),
            requests: whole.requests)
    }

    static func percent(_ fraction: Double) -> String {
        "\(((fraction * 1000).rounded() / 10))%"
    }

    static func round(_ value: Double, _ figure: String) -> String {
        figure.hasSuffix("ms") ? "\((value * 1000).rounded() / 1000) ms" : percent(value)
    }
}
