import Foundation
import StampedeCore

/// A chart of lines over run seconds, drawn as plain SVG by Swift: no script, no font or library fetched, so the
/// page opens from disk anywhere. Each series is one `<path class="series">` whose `data-points` says how many
/// points it draws (after ``Downsample``), for the browser test and for anyone reading the file.
struct LineChart: Sendable {
    enum Scale: Sendable { case linear, log }

    struct Series: Sendable {
        var name: String
        var points: [ChartPoint]
        /// Steps hold their value until the next point (counts that change at instants: confirmations, stock).
        var steps = false
        var dashed = false
    }

    /// A shaded span of run seconds (a fault window, a worker's gap, a burst's arrival window).
    struct Band: Sendable {
        var from: Double
        var to: Double
        var label: String
    }

    /// A vertical line at an instant (failover, recovery, sell-out, a worker lost or joining).
    struct Mark: Sendable {
        var x: Double
        var label: String
    }

    /// A horizontal line (the stock).
    struct Level: Sendable {
        var y: Double
        var label: String
    }

    var id: String
    var title: String
    var unit: String
    var scale = Scale.linear
    var series: [Series]
    var bands: [Band] = []
    var marks: [Mark] = []
    var levels: [Level] = []
    /// The x range drawn; by default the points' own.
    var xRange: ClosedRange<Double>? = nil

    static let width = 960.0
    static let height = 280.0
    static let margin = (left: 64.0, right: 16.0, top: 52.0, bottom: 30.0)
    static let palette = [
        "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22",
    ]

    var plotWidth: Double { Self.width - Self.margin.left - Self.margin.right }
    var plotHeight: Double { Self.height - Self.margin.top - Self.margin.bottom }

    /// The chart as an `<svg>` element.
    func svg() -> String {
        // The x range is worked out once, not for every point drawn.
        guard xRange != nil else {
            var fixed = self
            fixed.xRange = xBounds
            return fixed.svg()
        }
        let drawn = series.map { series -> Series in
            var thinned = series
            let visible = series.points.filter { $0.y.isFinite && (scale == .linear || $0.y > 0) }
            thinned.points = Downsample.minMax(
                visible, columns: Int(plotWidth), from: xBounds.lowerBound, to: xBounds.upperBound)
            return thinned
        }
        let y = yBounds(drawn)
        var out =
            "<svg class=\"chart\" id=\"\(Markup.escape(id))\" data-series=\"\(drawn.count)\" "
            + "viewBox=\"0 0 \(Int(Self.width)) \(Int(Self.height))\" xmlns=\"http://www.w3.org/2000/svg\" "
            + "role=\"img\" aria-label=\"\(Markup.escape(title))\">"
        out += "<text class=\"title\" x=\"\(Self.margin.left)\" y=\"16\">\(Markup.escape(title))</text>"
        for band in bands {
            let from = max(xBounds.lowerBound, band.from)
            let to = min(xBounds.upperBound, band.to)
            guard to > from else { continue }
            out +=
                "<rect class=\"band\" x=\(q(px(from))) y=\(q(Self.margin.top)) width=\(q(px(to) - px(from))) "
                + "height=\(q(plotHeight))><title>\(Markup.escape(band.label))</title></rect>"
        }
        out += axes(y)
        for level in levels where y.contains(level.y) {
            out +=
                "<line class=\"level\" x1=\(q(Self.margin.left)) x2=\(q(Self.width - Self.margin.right)) "
                + "y1=\(q(py(level.y, y))) y2=\(q(py(level.y, y)))/>"
                + "<text class=\"level-label\" x=\(q(Self.width - Self.margin.right - 4)) "
                + "y=\(q(py(level.y, y) - 4))>\(Markup.escape(level.label))</text>"
        }
        // Labels of marks close together are stepped down, so they stay readable.
        for (index, mark) in marks.enumerated() where xBounds.contains(mark.x) {
            out +=
                "<line class=\"mark\" x1=\(q(px(mark.x))) x2=\(q(px(mark.x))) y1=\(q(Self.margin.top)) "
                + "y2=\(q(Self.margin.top + plotHeight))><title>\(Markup.escape(mark.label))</title></line>"
                + "<text class=\"mark-label\" x=\(q(px(mark.x) + 3)) y=\(q(Self.margin.top + 10 + Double(index % 4) * 11))>"
                + "\(Markup.escape(mark.label))</text>"
        }
        for (index, series) in drawn.enumerated() {
            let color = Self.palette[index % Self.palette.count]
            out +=
                "<path class=\"series\" data-name=\"\(Markup.escape(series.name))\" "
                + "data-points=\"\(series.points.count)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.5\" stroke-linecap=\"round\""
                + (series.dashed ? " stroke-dasharray=\"4 3\"" : "") + " d=\"\(path(series, y))\"/>"
        }
        out += legend(drawn)
        return out + "</svg>"
    }

    // MARK: - Geometry

    var xBounds: ClosedRange<Double> {
        if let xRange { return xRange }
        let xs = series.flatMap { $0.points.map(\.x) } + marks.map(\.x)
        guard let lo = xs.min(), let hi = xs.max() else { return 0...1 }
        return hi > lo ? lo...hi : lo...(lo + 1)
    }

    private func yBounds(_ drawn: [Series]) -> ClosedRange<Double> {
        let ys = drawn.flatMap { $0.points.map(\.y) } + levels.map(\.y)
        switch scale {
        case .linear:
            let hi = max(ys.max() ?? 1, 1)
            return 0...Ticks.niceCeiling(hi)
        case .log:
            let positive = ys.filter { $0 > 0 }
            let lo = pow(10, (log10(positive.min() ?? 0.1)).rounded(.down))
            let hi = pow(10, (log10(positive.max() ?? 10)).rounded(.up))
            return lo...(hi > lo ? hi : lo * 10)
        }
    }

    private func px(_ x: Double) -> Double {
        let bounds = xBounds
        return Self.margin.left + (x - bounds.lowerBound) / (bounds.upperBound - bounds.lowerBound) * plotWidth
    }

    private func py(_ value: Double, _ y: ClosedRange<Double>) -> Double {
        let fraction: Double
        switch scale {
        case .linear: fraction = (value - y.lowerBound) / (y.upperBound - y.lowerBound)
        case .log:
            fraction =
                (log10(value) - log10(y.lowerBound))
                / (log10(y.upperBound) - log10(y.lowerBound))
        }
        return Self.margin.top + plotHeight * (1 - max(0, min(1, fraction)))
    }

    private func path(_ series: Series, _ y: ClosedRange<Double>) -> String {
        var d = ""
        for (index, point) in series.points.enumerated() {
            let x = Ticks.short(px(point.x))
            let yy = Ticks.short(py(point.y, y))
            d += index == 0 ? "M\(x) \(yy)" : series.steps ? "H\(x)V\(yy)" : "L\(x) \(yy)"
        }
        // A lone point is drawn as a dot (a zero-length segment with round caps).
        return series.points.count == 1 ? d + "h0.1" : d
    }

    private func axes(_ y: ClosedRange<Double>) -> String {
        let bottom = Self.margin.top + plotHeight
        var out =
            "<rect class=\"plot\" x=\(q(Self.margin.left)) y=\(q(Self.margin.top)) width=\(q(plotWidth)) "
            + "height=\(q(plotHeight))/>"
        let yTicks = scale == .log ? Ticks.decades(y) : Ticks.linear(y, count: 5)
        for tick in yTicks {
            let at = py(tick, y)
            out +=
                "<line class=\"grid\" x1=\(q(Self.margin.left)) x2=\(q(Self.width - Self.margin.right)) "
                + "y1=\(q(at)) y2=\(q(at))/><text class=\"tick\" x=\(q(Self.margin.left - 6)) y=\(q(at + 4)) "
                + "text-anchor=\"end\">\(Ticks.label(tick))</text>"
        }
        for tick in Ticks.linear(xBounds, count: 8, minimumStep: 1) where xBounds.contains(tick) {
            out +=
                "<text class=\"tick\" x=\(q(px(tick))) y=\(q(bottom + 16)) text-anchor=\"middle\">"
                + "\(Ticks.clock(tick))</text>"
        }
        out +=
            "<text class=\"unit\" x=\"4\" y=\(q(Self.margin.top - 6))>\(Markup.escape(unit))</text>"
            + "<text class=\"unit\" x=\(q(Self.width - Self.margin.right)) y=\(q(Self.height - 2)) "
            + "text-anchor=\"end\">run time</text>"
        return out
    }

    private func legend(_ drawn: [Series]) -> String {
        var out = ""
        var x = Self.margin.left
        var y = 30.0
        for (index, series) in drawn.enumerated() {
            let width = 28 + Double(series.name.count) * 6.2
            if x + width > Self.width - Self.margin.right {
                x = Self.margin.left
                y += 13
            }
            let color = Self.palette[index % Self.palette.count]
            out +=
                "<rect x=\(q(x)) y=\(q(y - 6)) width=\"12\" height=\"4\" fill=\"\(color)\"/>"
                + "<text class=\"legend\" x=\(q(x + 16)) y=\(q(y))>\(Markup.escape(series.name))</text>"
            x += width
        }
        return out
    }

    private func q(_ value: Double) -> String { "\"\(Ticks.short(value))\"" }
}
