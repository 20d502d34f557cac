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

    /// A table cell: text (escaped), or a bar of a fraction of its column's width.
    private enum Cell {
        case text(String)
        case bar(Double, kind: String)

        var html: String {
            switch self {
            case .text(let text): return "<td>\(Markup.escape(text))</td>"
            case .bar(let fraction, let kind):
                let width = Int((max(0, min(1, fraction)) * 120).rounded())
                return "<td><span class=\"bar \(kind)\" style=\"width:\(width)px\"></span></td>"
            }
        }
    }

    /// A row; a failed one is drawn in red.
    private struct Row {
        var cells: [Cell]
        var failed = false
    }

    /// One table under its heading; `extra` is rows already HTML (a lost worker's gap).
    private static func table(
        _ heading: String, _ name: String, _ headers: [String], _ rows: [Row], extra: String = ""
    ) -> String {
        var out = "<h2>\(heading)</h2><table class=\"\(name)\"><tr>"
        out += headers.map { "<th>\(Markup.escape($0))</th>" }.joined() + "</tr>"
        for row in rows {
            out += "<tr class=\"\(row.failed ? "failed" : "")\">" + row.cells.map(\.html).joined() + "</tr>"
        }
        return out + extra + "</table>"
    }

    private static func milliseconds(_ summary: LatencySummary, _ value: Double) -> Cell {
        .text(summary.count > 0 ? Format.milliseconds(value) : "-")
    }

    private static func count(_ value: Int) -> Cell { .text(Format.count(value)) }

    private var periods: String {
        let most = max(report.periods.map { Double($0.shoppers.started) }.max() ?? 1, 1)
        let slowest = max(report.periods.map(\.corrected.p99).max() ?? 1, 0.001)
        let rows = report.periods.map { period in
            let c = period.corrected
            return Row(cells: [
                .text(period.label), .text(Format.count(period.expected)), Self.count(period.shoppers.started),
                .bar(Double(period.shoppers.started) / most, kind: ""), Self.count(period.shoppers.dropped),
                Self.count(period.requests.requests), Self.count(period.requests.failed),
                Self.count(period.requests.throttled), Self.milliseconds(c, c.p50), Self.milliseconds(c, c.p99),
                .bar(c.count > 0 ? c.p99 / slowest : 0, kind: "p99"),
            ])
        }
        return Self.table(
            "Per hour (or stage)", "periods",
            ["period", "planned", "started", "", "dropped", "requests", "failed", "429", "p50 ms", "p99 ms", ""], rows)
    }

    private var steps: String {
        let rows = report.steps.map { step in
            let c = step.corrected
            return Row(cells: [
                .text("\(step.flow)/\(step.step)"), Self.count(step.requests.requests),
                Self.count(step.requests.failed),
                Self.count(step.requests.throttled), Self.milliseconds(c, c.p50), Self.milliseconds(c, c.p99),
                Self.milliseconds(c, c.p999), Self.milliseconds(c, c.max),
                Self.milliseconds(step.uncorrected, step.uncorrected.p99), .text(Format.errors(step.requests.errors)),
            ])
        }
        return Self.table(
            "Per step", "steps",
            ["step", "requests", "failed", "429", "p50 ms", "p99 ms", "p99.9 ms", "max ms", "unc p99 ms", "errors"],
            rows)
    }

    private var inventory: String {
        guard !report.inventory.isEmpty else { return "" }
        let rows = report.inventory.map { verdict in
            Row(
                cells: [
                    .text(verdict.sku), .text(verdict.initialStock.map(Format.count) ?? "?"),
                    Self.count(verdict.confirmedUnits), .text(verdict.bookedByTarget.map(Format.count) ?? "?"),
                    .text(verdict.released.map(Format.count) ?? "-"), Self.count(verdict.oversold),
                    .text(final ? verdict.summary : "at the end"),
                ], failed: final && verdict.failed)
        }
        return Self.table(
            "Oversell, per SKU", "inventory",
            ["sku", "stock", "confirmed", "booked", "released", "oversold", "verdict"],
            rows)
    }

    private var workers: String {
        guard !report.workers.isEmpty else { return "" }
        let spans = Dictionary(series.workers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        let rows = report.workers.map { worker in
            Row(
                cells: [
                    .text(worker.name), .text(worker.status.rawValue), Self.count(worker.intervals),
                    .text(spans[worker.name].map { "\($0.first)" } ?? "-"),
                    .text(spans[worker.name].map { "\($0.last)" } ?? "-"), Self.count(worker.shoppers.started),
                ], failed: worker.status == .lost)
        }
        let gaps = report.gaps.map { gap in
            "<tr class=\"failed\"><td colspan=\"6\">\(Markup.escape(gap.worker)) lost at "
                + "\(Format.seconds(gap.lostAt)); arrivals of its share not sent from \(Format.seconds(gap.from)) to "
                + "\(Format.seconds(gap.to))</td></tr>"
        }
        return Self.table(
            "Workers", "workers", ["worker", "status", "intervals", "first s", "last s", "shoppers"], rows,
            extra: gaps.joined())
    }
}
