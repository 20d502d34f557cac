/// A plain-text table with right-aligned numbers and left-aligned first columns.
struct TextTable {
    var headers: [String]
    /// How many leading columns are left-aligned.
    var leftColumns = 1
    var rows: [[String]] = []

    init(_ headers: [String], leftColumns: Int = 1) {
        self.headers = headers
        self.leftColumns = leftColumns
    }

    mutating func add(_ row: [String]) { rows.append(row) }

    func render(indent: String = "  ") -> String {
        let all = [headers] + rows
        let widths = headers.indices.map { column in
            all.map { $0.indices.contains(column) ? $0[column].count : 0 }.max() ?? 0
        }
        var output = ""
        for row in all {
            var line = indent
            for (column, cell) in row.enumerated() {
                let padding = String(repeating: " ", count: max(0, widths[column] - cell.count))
                line += column < leftColumns ? cell + padding : padding + cell
                if column < row.count - 1 { line += "  " }
            }
            while line.last == " " { line.removeLast() }
            output += line + "\n"
        }
        return output
    }
}

/// Number formatting shared by every text report.
public enum Format {
    /// 12,345
    public static func count(_ value: Int) -> String {
        let digits = String(abs(value))
        var grouped = ""
        for (index, character) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { grouped += "," }
            grouped.append(character)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    public static func count(_ value: Double) -> String { count(Int(value.rounded())) }

    /// Milliseconds with sensible precision: 0.412, 8.31, 153.2, 1,204.
    public static func milliseconds(_ value: Double) -> String {
        switch value {
        case ..<1: fixed(value, 3)
        case ..<10: fixed(value, 2)
        case ..<1000: fixed(value, 1)
        default: count(value)
        }
    }

    /// `digits` decimals: 3.14, 2.0; none is a whole number, 779 (not 779.0).
    public static func fixed(_ value: Double, _ digits: Int) -> String {
        if digits <= 0 { return String(Int(value.rounded())) }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        var text = String(rounded)
        if let dot = text.firstIndex(of: ".") {
            let decimals = text.distance(from: dot, to: text.endIndex) - 1
            if decimals < digits { text += String(repeating: "0", count: digits - decimals) }
        } else if digits > 0 {
            text += "." + String(repeating: "0", count: digits)
        }
        return text
    }

    /// A rate per second: 100,000,000 or 800 when whole, 2.50 or 12.5 when not.
    public static func rate(_ value: Double) -> String {
        value == value.rounded() ? count(value) : fixed(value, value < 10 ? 2 : 1)
    }

    public static func percent(_ fraction: Double) -> String { fixed(fraction * 100, 1) + "%" }

    public static func seconds(_ value: Double) -> String { fixed(value, value < 10 ? 2 : 1) + " s" }

    public static func bar(_ fraction: Double, width: Int = 24) -> String {
        let cells = Int((max(0, min(1, fraction)) * Double(width)).rounded())
        return String(repeating: "█", count: cells)
    }

    public static func errors(_ errors: [some CustomStringConvertible & Comparable: Int]) -> String {
        errors.isEmpty
            ? "none"
            : errors.sorted { $0.key < $1.key }.map { "\($0.key) \(count($0.value))" }
                .joined(separator: ", ")
    }
}
