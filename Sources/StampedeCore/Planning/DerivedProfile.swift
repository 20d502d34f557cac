/// A profile worked out from a day's traffic (``TrafficShape``): 24 hourly weights (per mille of the day's base
/// traffic) and the top-of-hour bursts laid over them, in the terms a profile uses — a spike's level is relative
/// to the busiest hour's base rate, as ``RateCurve`` plays it.
public struct DerivedProfile: Sendable, Equatable {
    /// Each hour's base rate (its minutes outside a spike), per mille of the 24 hours' sum.
    public var weights: [Double]
    public var spikes: [FoundSpike]

    public struct FoundSpike: Sendable, Equatable {
        public var hour: Int
        /// Whole minutes from the top of the hour.
        public var minutes: Int
        /// Its rate against the busiest hour's base rate (a profile's `level`).
        public var level: Double
        /// Its rate against its own hour's base rate.
        public var timesItsHour: Double
    }

    /// How far above its hour's usual minute a minute must be to count as a burst: `factor` × the hour's median
    /// minute, and at least five standard deviations of a Poisson count above it (so noise in a quiet hour is not
    /// a flash sale).
    public static let spikeFactor = 1.5

    public init(weights: [Double], spikes: [FoundSpike]) {
        self.weights = weights
        self.spikes = spikes
    }

    /// Works the profile out; nil when the log counted nothing.
    public init?(_ shape: TrafficShape) {
        guard shape.counted > 0 else { return nil }
        let coverage = shape.coverage
        // Requests per minute of the day, each minute divided by the days that covered it.
        let rates = zip(shape.perMinute, coverage).map { count, days in days > 0 ? Double(count) / Double(days) : 0 }
        var base = [Double](repeating: 0, count: 24)
        var found: [(hour: Int, minutes: Int, rate: Double)] = []
        for hour in 0..<24 {
            let minutes = Array(rates[(hour * 60)..<(hour * 60 + 60)])
            let covered = (0..<60).filter { coverage[hour * 60 + $0] > 0 }
            guard !covered.isEmpty else { continue }
            let usual = Self.median(covered.map { minutes[$0] })
            let threshold = max(Self.spikeFactor * usual, usual + 5 * max(usual, 1).squareRoot())
            var length = 0
            while length < 59, coverage[hour * 60 + length] > 0, minutes[length] > threshold { length += 1 }
            let rest = covered.filter { $0 >= length }
            base[hour] = rest.isEmpty ? 0 : rest.map { minutes[$0] }.reduce(0, +) / Double(rest.count)
            if length > 0 {
                found.append((hour, length, minutes[0..<length].reduce(0, +) / Double(length)))
            }
        }
        let total = base.reduce(0, +)
        let busiest = base.max() ?? 0
        weights = base.map { total > 0 ? Self.rounded($0 / total * 1000) : 0 }
        spikes = found.map { spike in
            FoundSpike(
                hour: spike.hour, minutes: spike.minutes, level: busiest > 0 ? Self.rounded(spike.rate / busiest) : 0,
                timesItsHour: base[spike.hour] > 0 ? Self.rounded(spike.rate / base[spike.hour]) : 0)
        }
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Two decimals: enough to give back a weight of 4 within 1 %.
    static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }

    /// The name a log's file gives, as a profile may be named: `shop access (2025).log.2.gz` → `shop-access-2025`
    /// (the compression, `.log` and a rotation's number dropped; other characters a name cannot hold separate words).
    public static func name(fromFile path: String) -> String {
        var base = Substring(path.split(separator: "/").last ?? "")
        if base.hasSuffix(".gz") { base.removeLast(3) }
        while let dot = base.lastIndex(of: "."), dot != base.startIndex,
            base[base.index(after: dot)...].allSatisfy(\.isNumber) || base[dot...] == ".log"
        {
            base = base[..<dot]
        }
        let words = base.split { !ShortName.allows($0) || $0 == "-" }
        return path == "-" || words.isEmpty ? "access-log" : words.joined(separator: "-")
    }

    /// The profile as YAML, with a comment saying how it was derived (what `stampede validate` loads).
    public func yaml(name: String, timeZone: String, derivation: [String]) -> String {
        var lines = derivation.map { $0.isEmpty ? "#" : "# " + $0 }
        // Quoted: a name such as `null` or `2025` is a string here, not YAML's null or a number.
        lines.append("name: \"\(name)\"")
        lines.append("title: \"\(name), derived from an access log\"")
        lines.append("timezone: \(timeZone)")
        lines.append("hours:")
        for (hour, weight) in weights.enumerated() { lines.append("  - {hour: \(hour), weight: \(Self.text(weight))}") }
        if spikes.isEmpty {
            lines.append("spikes: []")
        } else {
            lines.append("spikes:")
            for spike in spikes {
                let at = (spike.hour < 10 ? "0" : "") + "\(spike.hour):00"
                lines.append(
                    "  - {at: \"\(at)\", lasting: \(spike.minutes)m, level: \(Self.text(spike.level)), "
                        + "label: \"\(at) burst, \(Self.text(spike.timesItsHour))x its hour\"}")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A number without a useless `.0`.
    static func text(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }
}
