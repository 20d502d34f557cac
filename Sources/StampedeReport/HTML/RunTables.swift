import StampedeCore

/// The report's tables as HTML: per hour (or stage) with bars, per step, per SKU, per worker.
struct RunTables {
    let report: RunReport
    let series: RunSeries
    /// False while the run goes (the dashboard): verdicts come at the end, when the books are read after it.
    let final: Bool

    var html: String {
        periods + steps + inventory + workers
    }

    private static func cell(_ text: String) -> String { "<td>\(Markup.escape(text))</td>" }

    private static func milliseconds(_ summary: LatencySummary, _ value: Double) -> String {
        summary.count > 0 ? Format.milliseconds(value) : "-"
    }

    private static func bar(_ fraction: Double, _ kind: String = "") -> String {
        let width = Int((max(0, min(1, fraction)) * 120).rounded())
        return "<td><span class=\"bar \(kind)\" style=\"width:\(width)px\"></span></td>"
    }

    private var periods: String {
        let most = max(report.periods.map { Double($0.shoppers.started) }.max() ?? 1, 1)
        let slowest = max(report.periods.map(\.corrected.p99).max() ?? 1, 0.001)
        var out =
            "<h2>Per hour (or stage)</h2><table class=\"periods\"><tr><th>period</th><th>planned</th><th>started</th>"
            + "<th></th><th>dropped</th><th>requests</th><th>failed</th><th>429</th><th>p50 ms</th><th>p99 ms</th>"
            + "<th></th></tr>"
        for period in report.periods {
            let c = period.corrected
            out +=
                "<tr>" + Self.cell(period.label) + Self.cell(Format.count(period.expected))
                + Self.cell(Format.count(period.shoppers.started)) + Self.bar(Double(period.shoppers.started) / most)
                + Self.cell(Format.count(period.shoppers.dropped)) + Self.cell(Format.count(period.requests.requests))
                + Self.cell(Format.count(period.requests.failed)) + Self.cell(Format.count(period.requests.throttled))
                + Self.cell(Self.milliseconds(c, c.p50)) + Self.cell(Self.milliseconds(c, c.p99))
                + Self.bar(c.count > 0 ? c.p99 / slowest : 0, "p99") + "</tr>"
        }
        return out + "</table>"
    }

    private var steps: String {
        var out =
            "<h2>Per step</h2><table class=\"steps\"><tr><th>step</th><th>requests</th><th>failed</th><th>429</th>"
            + "<th>p50 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>unc p99 ms</th><th>errors</th></tr>"
        for step in report.steps {
            let c = step.corrected
            out +=
                "<tr>" + Self.cell("\(step.flow)/\(step.step)") + Self.cell(Format.count(step.requests.requests))
                + Self.cell(Format.count(step.requests.failed)) + Self.cell(Format.count(step.requests.throttled))
                + Self.cell(Self.milliseconds(c, c.p50)) + Self.cell(Self.milliseconds(c, c.p99))
                + Self.cell(Self.milliseconds(c, c.p999)) + Self.cell(Self.milliseconds(c, c.max))
                + Self.cell(Self.milliseconds(step.uncorrected, step.uncorrected.p99))
                + Self.cell(Format.errors(step.requests.errors)) + "</tr>"
        }
        return out + "</table>"
    }

    private var inventory: String {
        guard !report.inventory.isEmpty else { return "" }
        var out =
            "<h2>Oversell, per SKU</h2><table class=\"inventory\"><tr><th>sku</th><th>stock</th><th>confirmed</th>"
            + "<th>booked</th><th>released</th><th>oversold</th><th>verdict</th></tr>"
        for verdict in report.inventory {
            out +=
                "<tr class=\"\(final && verdict.failed ? "failed" : "")\">" + Self.cell(verdict.sku)
                + Self.cell(verdict.initialStock.map(Format.count) ?? "?")
                + Self.cell(Format.count(verdict.confirmedUnits))
                + Self.cell(verdict.bookedByTarget.map(Format.count) ?? "?")
                + Self.cell(verdict.released.map(Format.count) ?? "-") + Self.cell(Format.count(verdict.oversold))
                + Self.cell(final ? verdict.summary : "at the end") + "</tr>"
        }
        return out + "</table>"
    }

    private var workers: String {
        guard !report.workers.isEmpty else { return "" }
        let spans = Dictionary(series.workers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        var out =
            "<h2>Workers</h2><table class=\"workers\"><tr><th>worker</th><th>status</th><th>intervals</th>"
            + "<th>first s</th><th>last s</th><th>shoppers</th></tr>"
        for worker in report.workers {
            out +=
                "<tr class=\"\(worker.status == .lost ? "failed" : "")\">" + Self.cell(worker.name)
                + Self.cell(worker.status.rawValue) + Self.cell(Format.count(worker.intervals))
                + Self.cell(spans[worker.name].map { "\($0.first)" } ?? "-")
                + Self.cell(spans[worker.name].map { "\($0.last)" } ?? "-")
                + Self.cell(Format.count(worker.shoppers.started)) + "</tr>"
        }
        for gap in report.gaps {
            out +=
                "<tr class=\"failed\"><td colspan=\"6\">\(Markup.escape(gap.worker)) lost at "
                + "\(Format.seconds(gap.lostAt)); arrivals of its share not sent from \(Format.seconds(gap.from)) to "
                + "\(Format.seconds(gap.to))</td></tr>"
        }
        return out + "</table>"
    }
}
