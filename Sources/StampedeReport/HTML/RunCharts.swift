import StampedeCore

/// The charts of a run, from its report and its series: what a person looks at first. Pure: the same run always
/// gives the same charts, live on the dashboard or in `report.html`.
struct RunCharts {
    struct Section {
        var id: String
        var title: String
        var charts: [LineChart]
        /// Text under the charts (the drill's charges), already HTML.
        var note: String? = nil
    }

    let report: RunReport
    let series: RunSeries

    var sections: [Section] {
        var sections = [arrivals, latency]
        if !series.steps.isEmpty { sections.append(stepLatency) }
        sections.append(errors)
        sections += report.bursts.enumerated().map { burst($0.offset, $0.element) }
        if !report.books.isEmpty { sections.append(books) }
        if let payments = report.payments { sections.append(drill(payments)) }
        return sections
    }

    private var timeline: [TimelinePoint] { report.timeline }

    private func points(_ value: (TimelinePoint) -> Double) -> [ChartPoint] {
        timeline.map { ChartPoint(x: Double($0.second), y: value($0)) }
    }

    /// Workers lost (with their gaps shaded) and workers that joined after the start.
    private var workerBands: [LineChart.Band] {
        report.gaps.map { LineChart.Band(from: $0.from, to: $0.to, label: "\($0.worker)'s gap") }
    }

    private var workerMarks: [LineChart.Mark] {
        report.gaps.map { LineChart.Mark(x: $0.lostAt, label: "\($0.worker) lost") }
            + series.workers.filter { $0.first > 0 }.map {
                LineChart.Mark(x: Double($0.first), label: "\($0.name) joined")
            }
    }

    private var arrivals: Section {
        let chart = LineChart(
            id: "arrivals", title: "Arrivals per second against the plan", unit: "shoppers/s",
            series: [
                .init(name: "planned", points: points(\.expected), dashed: true),
                .init(name: "started", points: points { Double($0.shoppers.started) }),
                .init(name: "dropped", points: points { Double($0.shoppers.dropped) }),
                .init(name: "in flight", points: points { Double($0.inFlight) }),
                // Arrivals held inside the generator for want of a free connection.
                .init(name: "waiting for a connection", points: points { Double($0.waiting) }),
            ], bands: workerBands, marks: workerMarks)
        return Section(id: "arrivals", title: "Arrivals", charts: [chart])
    }

    private static func latencySeries(
        _ summaries: [(x: Double, corrected: LatencySummary, uncorrected: LatencySummary)], uncorrected: Bool
    ) -> [LineChart.Series] {
        let counted = summaries.filter { $0.corrected.count > 0 }
        func line(_ name: String, _ value: (LatencySummary) -> Double, raw: Bool) -> LineChart.Series {
            .init(
                name: name, points: counted.map { ChartPoint(x: $0.x, y: value(raw ? $0.uncorrected : $0.corrected)) },
                dashed: raw)
        }
        var lines = [line("p50", \.p50, raw: false), line("p99", \.p99, raw: false)]
        lines += [line("p99.9", \.p999, raw: false), line("max", \.max, raw: false)]
        if uncorrected { lines += [line("unc p50", \.p50, raw: true), line("unc p99", \.p99, raw: true)] }
        if uncorrected { lines += [line("unc p99.9", \.p999, raw: true), line("unc max", \.max, raw: true)] }
        return lines
    }

    private var latency: Section {
        let chart = LineChart(
            id: "latency", title: "Latency over time, all steps (corrected; dashed: uncorrected)", unit: "ms",
            scale: .log,
            series: Self.latencySeries(
                timeline.map { (Double($0.second), $0.corrected, $0.uncorrected) }, uncorrected: true),
            bands: workerBands)
        return Section(id: "latency", title: "Latency", charts: [chart])
    }

    private var stepLatency: Section {
        let charts = series.steps.enumerated().map { index, step in
            LineChart(
                id: "step-\(index)",
                title: "\(step.flow)/\(step.step)"
                    + (series.stride > 1 ? " (each point \(series.stride) s)" : ""), unit: "ms", scale: .log,
                series: Self.latencySeries(
                    step.points.map { (Double($0.second), $0.corrected, $0.uncorrected) }, uncorrected: true),
                xRange: xRange)
        }
        return Section(id: "steps", title: "Latency per step (corrected; dashed: uncorrected)", charts: charts)
    }

    /// The run's seconds, so charts of one run line up.
    private var xRange: ClosedRange<Double> {
        let last = max(Double(timeline.last?.second ?? 0), report.run.actualSeconds, 1)
        return 0...last
    }

    private var errors: Section {
        let labels = Set(timeline.flatMap { $0.requests.errors.keys }).sorted()
        var lines = labels.map { label in
            LineChart.Series(name: label.rawValue, points: points { Double($0.requests.errors[label] ?? 0) })
        }
        lines.append(.init(name: "429", points: points { Double($0.requests.throttled) }))
        let chart = LineChart(
            id: "errors", title: "Errors and 429s per second, by label", unit: "requests/s", series: lines,
            bands: workerBands, marks: workerMarks, xRange: xRange)
        return Section(id: "errors", title: "Errors", charts: [chart])
    }

    private func burst(_ index: Int, _ summary: BurstSummary) -> Section {
        let burst = series.bursts.indices.contains(index) ? series.bursts[index] : nil
        let start = burst?.start ?? 0
        let times = burst?.confirmedAt.filter { $0 >= start - 1 } ?? []
        let end = max(start + (burst?.within ?? 0), times.last ?? start) + 2
        let window = (start - 1)...end
        var cumulative = [ChartPoint(x: start - 1, y: 0)]
        for (count, time) in times.enumerated() { cumulative.append(ChartPoint(x: time, y: Double(count + 1))) }
        cumulative.append(ChartPoint(x: end, y: Double(times.count)))
        var marks: [LineChart.Mark] = []
        if let soldOut = summary.timeToSellOut {
            marks.append(.init(x: start + soldOut, label: "sold out after \(Format.seconds(soldOut))"))
        }
        let bands = [LineChart.Band(from: start, to: start + max(burst?.within ?? 0, 0.05), label: "the crowd arrives")]
        let confirmations = LineChart(
            id: "burst-\(index)", title: "\(summary.label): confirmations of \(summary.sku) against the stock",
            unit: "units", series: [.init(name: "confirmed", points: cumulative, steps: true)], bands: bands,
            marks: marks, levels: [.init(y: Double(summary.stock), label: "stock \(summary.stock)")], xRange: window)
        let crowd = timeline.filter { window.contains(Double($0.second)) }
        let latency = LineChart(
            id: "burst-\(index)-latency", title: "\(summary.label): latency of every request around the crowd",
            unit: "ms", scale: .log,
            series: Self.latencySeries(
                crowd.map { (Double($0.second), $0.corrected, $0.uncorrected) }, uncorrected: false),
            bands: bands, marks: marks, xRange: window.lowerBound...max(window.upperBound, window.lowerBound + 2))
        return Section(
            id: "burst-\(index)", title: "Flash sale \(summary.label) at \(summary.at)",
            charts: [confirmations, latency])
    }

    private var books: Section {
        let readings = report.books.sorted { $0.second < $1.second }
        func total(_ value: @escaping (BookEntry) -> Int?) -> [ChartPoint] {
            readings.map { reading in
                ChartPoint(x: reading.second, y: Double(reading.items.values.reduce(0) { $0 + (value($1) ?? 0) }))
            }
        }
        let chart = LineChart(
            id: "books", title: "The target's books over the run (all SKUs)", unit: "units",
            series: [
                .init(name: "stock", points: total { $0.stock }, steps: true),
                .init(name: "sold", points: total { $0.sold }, steps: true),
                .init(name: "reserved", points: total { $0.reserved }, steps: true),
                .init(name: "released", points: total { $0.released }, steps: true),
            ], marks: workerMarks)
        return Section(id: "books", title: "Books", charts: [chart])
    }

    private func drill(_ payments: PaymentVerdict) -> Section {
        let others = Set(payments.channelShare.flatMap { $0.paid.keys }).subtracting([payments.primary]).sorted()
        let channels = [payments.primary] + others
        var lines = channels.map { channel in
            LineChart.Series(
                name: "paid via \(channel)",
                points: payments.channelShare.map { ChartPoint(x: Double($0.second), y: Double($0.paid[channel] ?? 0)) }
            )
        }
        let failed = payments.channelShare.map { ChartPoint(x: Double($0.second), y: Double($0.failed)) }
        lines.append(LineChart.Series(name: "failed", points: failed))
        let start = payments.faults.map(\.from).min()
        var marks: [LineChart.Mark] = []
        if let start, let failover = payments.failoverSeconds {
            marks.append(.init(x: start + failover, label: "failover +\(Format.seconds(failover))"))
        }
        if let start, let recovery = payments.recoverySeconds {
            marks.append(.init(x: start + recovery, label: "recovered +\(Format.seconds(recovery))"))
        }
        let chart = LineChart(
            id: "drill", title: "Payments per second by channel", unit: "payments/s", series: lines,
            bands: payments.faults.map { .init(from: $0.from, to: $0.until, label: "\($0.channel) \($0.kind)") },
            marks: marks, xRange: xRange)
        let note =
            "<p class=\"verdict\">\(Markup.escape(payments.summary)). Double charges: \(payments.doubleCharges) "
            + "(\(payments.extraCharges) extra); orphan charges: \(payments.orphanCharges); uncharged orders: "
            + "\(payments.unchargedOrders.map(String.init) ?? "not checked").</p>"
        return Section(id: "drill", title: "Payment drill", charts: [chart], note: note)
    }
}
