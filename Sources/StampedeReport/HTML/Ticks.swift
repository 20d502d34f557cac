import Foundation

/// Axis ticks and their labels: round numbers, decades on a log scale, run time as a clock.
enum Ticks {
    /// The smallest 1, 2 or 5 × 10ⁿ at or above `value`.
    static func niceCeiling(_ value: Double) -> Double {
        guard value > 0 else { return 1 }
        let magnitude = pow(10, log10(value).rounded(.down))
        for factor in [1.0, 2, 5, 10] where factor * magnitude >= value { return factor * magnitude }
        return 10 * magnitude
    }

    /// About `count` round values across the range, at least `minimumStep` apart (a second, on a time axis).
    static func linear(_ range: ClosedRange<Double>, count: Int, minimumStep: Double = 0) -> [Double] {
        let span = range.upperBound - range.lowerBound
        guard span > 0 else { return [range.lowerBound] }
        let step = max(niceCeiling(span / Double(count)), minimumStep)
        var tick = (range.lowerBound / step).rounded(.up) * step
        var ticks: [Double] = []
        while tick <= range.upperBound + step * 1e-9 {
            ticks.append(tick)
            tick += step
        }
        return ticks
    }

    static func decades(_ range: ClosedRange<Double>) -> [Double] {
        var ticks: [Double] = []
        var tick = range.lowerBound
        while tick <= range.upperBound * 1.000001 {
            ticks.append(tick)
            tick *= 10
        }
        return ticks
    }

    /// 0.1, 5, 2.5k, 1.2M.
    static func label(_ value: Double) -> String {
        switch abs(value) {
        case 1_000_000...: trimmed(value / 1_000_000) + "M"
        case 10_000...: trimmed(value / 1_000) + "k"
        default: trimmed(value)
        }
    }

    /// Run seconds as 45s, 12:30 or 5:04:00.
    static func clock(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        if abs(whole) < 60 { return "\(whole)s" }
        let (h, m, s) = (whole / 3600, whole / 60 % 60, whole % 60)
        let two = { (n: Int) in n < 10 ? "0\(n)" : "\(n)" }
        return h > 0 ? "\(h):\(two(m)):\(two(s))" : "\(m):\(two(s))"
    }

    /// A coordinate with at most one decimal.
    static func short(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }

    private static func trimmed(_ value: Double) -> String {
        if value == value.rounded() { return String(Int(value)) }
        let text = String(format: "%.2f", value)
        return text.replacingOccurrences(of: #"\.?0+$"#, with: "", options: .regularExpression)
    }
}
