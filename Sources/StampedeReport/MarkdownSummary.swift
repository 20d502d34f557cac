public import StampedeCore

/// The run as Markdown (`summary.md`), fit for a pull-request comment: the judgement, the console's notes, the
/// thresholds ✓/✗ with what was observed, the step table, the verdicts, and where the run directory is.
public enum MarkdownSummary {
    public static func render(_ report: RunReport, judgement: RunJudgement, directory: String?) -> String {
        let run = report.run
        var out = "## Stampede: \(headline(judgement))\n\n"
        out +=
            "`\(run.id)` — \(run.profile) \(run.window) in \(Format.seconds(run.plannedSeconds)) at peak "
            + "\(Format.rate(run.peakRate))/s against \(run.target) (scenario \(run.scenario)); "
            + "\(Format.count(report.totals.shoppers.started)) shoppers"
            + (report.totals.shoppers.dropped > 0 ? " (\(Format.count(report.totals.shoppers.dropped)) dropped)" : "")
            + ", \(Format.count(report.totals.requests.requests)) requests.\n\n"
        if !judgement.reasons.isEmpty {
            for reason in judgement.reasons { out += "- \(cell(reason))\n" }
            out += "\n"
        }
        // What the figures do not say on their own: a pass that sent half its plan is no pass on the target.
        for note in RunNotes.of(report) { out += "> **Note:** \(note)\n\n" }
        if let thresholds = report.thresholds, !thresholds.isEmpty {
            out += "| | threshold | observed | bound |\n| --- | --- | --- | --- |\n"
            for result in thresholds {
                let mark =
                    switch result.outcome {
                    case .passed: "✓"
                    case .failed: "✗"
                    case .unverified: "?"
                    }
                out +=
                    "| \(mark) | `\(cell(result.threshold))` | \(cell(result.observedText))"
                    + (result.reason.map { " (\(cell($0)))" } ?? "") + " | \(cell(result.boundText)) |\n"
            }
            out += "\n"
        }
        out +=
            "| step | requests | p50 ms | p99 ms | p99.9 ms | errors | 429 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n"
        for step in report.steps {
            let c = step.corrected
            let ms = { (value: Double) in c.count > 0 ? Format.milliseconds(value) : "-" }
            out +=
                "| \(cell(step.flow))/\(cell(step.step)) | \(Format.count(step.requests.requests)) | \(ms(c.p50)) | "
                + "\(ms(c.p99)) | \(ms(c.p999)) | \(Format.count(step.requests.failed)) | "
                + "\(Format.count(step.requests.throttled)) |\n"
        }
        out += "\n"
        if !report.inventory.isEmpty {
            out += "| sku | confirmed | booked | oversold | verdict |\n| --- | ---: | ---: | ---: | --- |\n"
            for verdict in report.inventory {
                out +=
                    "| \(cell(verdict.sku)) | \(Format.count(verdict.confirmedUnits)) | "
                    + "\(verdict.bookedByTarget.map(Format.count) ?? "?") | \(Format.count(verdict.oversold)) | "
                    + "\(cell(verdict.summary)) |\n"
            }
            out += "\n"
        }
        if let payments = report.payments { out += "Payments: \(cell(payments.summary))\n\n" }
        if let directory { out += "Run directory: `\(directory)`\n" }
        return out
    }

    static func headline(_ judgement: RunJudgement) -> String {
        switch judgement.status {
        case .ok: "passed ✓"
        case .thresholdFailed: "a threshold failed ✗"
        case .verdictFailed: "a verdict failed ✗"
        case .verdictUnverified: "a verdict could not be checked ?"
        case .incomplete: "the run did not complete ✗"
        }
    }

    /// Text safe in a table cell.
    static func cell(_ text: String) -> String {
        text.replacingPipes()
    }
}

extension String {
    fileprivate func replacingPipes() -> String {
        var out = ""
        for character in self {
            switch character {
            case "|": out += "\\|"
            case "\n": out += " "
            default: out.append(character)
            }
        }
        return out
    }
}
