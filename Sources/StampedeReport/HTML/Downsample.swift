/// Thins a series to what a chart can show: per pixel column, the first point, the lowest and the highest (in
/// the order they came) and the last, so a spike or a dip of one second survives on a 24 h chart while the
/// file stays small.
enum Downsample {
    static func minMax(_ points: [ChartPoint], columns: Int, from lo: Double, to hi: Double) -> [ChartPoint] {
        guard points.count > 4 * columns, columns > 0, hi > lo else { return points }
        var out: [ChartPoint] = []
        out.reserveCapacity(4 * columns)
        var start = 0
        while start < points.count {
            let column = Self.column(points[start].x, columns: columns, lo: lo, hi: hi)
            var end = start + 1
            while end < points.count, Self.column(points[end].x, columns: columns, lo: lo, hi: hi) == column {
                end += 1
            }
            var low = start
            var high = start
            for index in start..<end {
                if points[index].y < points[low].y { low = index }
                if points[index].y > points[high].y { high = index }
            }
            for index in Set([start, low, high, end - 1]).sorted() { out.append(points[index]) }
            start = end
        }
        return out
    }

    private static func column(_ x: Double, columns: Int, lo: Double, hi: Double) -> Int {
        Int(((x - lo) / (hi - lo) * Double(columns)).rounded(.down))
    }
}

/// A point of a chart's series; a nil `y` breaks the line (no data).
struct ChartPoint: Sendable, Equatable {
    var x: Double
    var y: Double
}
