public import StampedeCore

/// A comparison of two runs as Markdown, fit for a pull-request comment: the regressions and improvements in the
/// open, every figure in a folded table.
public enum ComparisonSummary {
    public static func render(_ comparison: RunComparison) -> String {
        let regressions = comparison.regressions
        let improvements = comparison.rows.filter { $0.change == .improvement }
        let nothing = regressions.isEmpty && comparison.judgedNothing
        var out =
            "## Stampede compare: "
            + (!regressions.isEmpty
                ? "\(regressions.count) regression\(regressions.count == 1 ? "" : "s") ✗"
                : nothing ? "nothing judged ·" : "no regression ✓")
            + (comparison.unjudged > 0
                ? ", \(comparison.unjudged) of \(comparison.rows.count) figures not judged" : "") + "\n\n"
        if nothing {
            out +=
                "**Nothing about the target could be judged**, so no regression says nothing: " + why(comparison)
                + "\n\n"
        }
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

    /// Why a comparison judged nothing, and what to do: a sentence for the summary and the command's last line.
    public static func why(_ comparison: RunComparison) -> String {
        let reasons = comparison.unjudgedReasons
        return (reasons.isEmpty ? "the runs have no step in common" : reasons.prefix(3).joined(separator: "; "))
            + (reasons.count > 3 ? "; and \(reasons.count - 3) more" : "")
            + ". Compare runs with requests in at least \(comparison.settings.minSeconds) seconds of each step, or "
            + "gate a step that short (a flash sale's crowd) with thresholds and verdicts"
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
