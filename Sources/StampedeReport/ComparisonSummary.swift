public import StampedeCore

/// A comparison of two runs as Markdown, fit for a pull-request comment: the regressions and improvements in the
/// open, every figure in a folded table.
public enum ComparisonSummary {
    public static func render(_ comparison: RunComparison) -> String {
        let regressions = comparison.regressions
        let improvements = comparison.rows.filter { $0.change == .improvement }
        var out =
            "## Stampede compare: "
            + (regressions.isEmpty
                ? "no regression ✓" : "\(regressions.count) regression\(regressions.count == 1 ? "" : "s") ✗")
            + (comparison.unjudged > 0
                ? ", \(comparison.unjudged) of \(comparison.rows.count) figures not judged" : "") + "\n\n"
        if !comparison.differences.isEmpty {
            out +=
                "**The runs are not alike**, so their figures differ for these reasons too: "
                + comparison.differences.joined(separator: "; ") + ".\n\n"
        }
        out +=
            "`\(comparison.base)` → `\(comparison.new)`; a figure regresses when it is worse by more than "
            + "\(Format.percent(comparison.settings.tolerance)), by more than "
            + "\(Format.milliseconds(comparison.settings.minLatencyChange)) ms "
            + "(\(Format.percent(comparison.settings.minRateChange)) for rates) and by more than the noise between the "
            + "runs (their seconds resampled \(comparison.settings.resamples) times, and the spread from their numbers "
            + "of requests).\n\n"
        if !regressions.isEmpty || !improvements.isEmpty {
            out += table(regressions + improvements)
            out += "\n"
        }
        out += "<details><summary>Every figure (\(comparison.rows.count))</summary>\n\n"
        out += table(comparison.rows)
        out += "\n</details>\n"
        return out
    }

    static func table(_ rows: [RunComparison.Row]) -> String {
        var out = "| | subject | figure | base | new | noise | |\n| --- | --- | --- | ---: | ---: | ---: | --- |\n"
        for row in rows {
            out +=
                "| \(mark(row.change)) | \(row.subject) | \(row.figure) | \(value(row.base, row.figure)) | "
                + "\(value(row.new, row.figure)) | \(row.noise.map { value($0, row.figure) } ?? "") | \(row.note ?? "") |\n"
        }
        return out
    }

    static func mark(_ change: RunComparison.Change) -> String {
        switch change {
        case .regression: "✗"
        case .improvement: "↑"
        case .unchanged: "✓"
        case .unjudged: "·"
        }
    }

    static func value(_ value: Double?, _ figure: String) -> String {
        guard let value else { return "-" }
        if figure.hasSuffix("ms") { return Format.milliseconds(value) }
        if figure.contains("rate") || figure.contains("of plan") { return Format.percent(value) }
        return Format.fixed(value, 2)
    }
}
