/// Rows of test data (accounts, addresses, coupons) from a CSV or JSON-lines file, kept whole: a shopper that draws
/// a row has all its columns (`{{users.email}}`, `{{users.password}}`). The rows travel inside the scenario, so
/// workers need no shared file system.
public struct Feeder: Codable, Sendable, Equatable {
    public enum Pick: String, Codable, Sendable, CaseIterable {
        /// Shopper n takes row n mod the number of rows (rows are reused).
        case sequential
        /// Each shopper a row at random (seeded: the same run draws the same rows).
        case random
        /// Shopper n takes row n; no two shoppers share a row, on any worker. A plan with more shoppers than rows is
        /// refused before the run.
        case unique
    }

    public var name: String
    public var columns: [String]
    public var rows: [[String]]
    public var pick: Pick
    /// Where the rows came from, as written in the scenario.
    public var file: String

    public init(name: String, columns: [String], rows: [[String]], pick: Pick, file: String) {
        self.name = name
        self.columns = columns
        self.rows = rows
        self.pick = pick
        self.file = file
    }

    /// The variable names the feeder gives (`users.email`).
    public var variables: [String] { columns.map { "\(name).\($0)" } }

    /// Which shopper wants a row: one of the shape's (its index in the plan, from 0), or the n-th burst shopper.
    public enum ShopperKey: Sendable, Equatable {
        case shape(UInt64)
        case burst(Int)
    }

    /// The row for a shopper; nil when a unique feeder has no row left for it. Unique rows go to the shape's
    /// shoppers from the first row on and to burst shoppers from the last row back, so no two shoppers share one.
    public func row(for shopper: ShopperKey, random: inout SeededRandom) -> [String]? {
        guard !rows.isEmpty else { return nil }
        switch (pick, shopper) {
        case (.random, _): return rows[Int(random.next() % UInt64(rows.count))]
        case (.sequential, .shape(let index)): return rows[Int(index % UInt64(rows.count))]
        case (.sequential, .burst(let ordinal)): return rows[ordinal % rows.count]
        case (.unique, .shape(let index)): return index < UInt64(rows.count) ? rows[Int(index)] : nil
        case (.unique, .burst(let ordinal)): return ordinal < rows.count ? rows[rows.count - 1 - ordinal] : nil
        }
    }

    /// The problem with giving every one of `shoppers` planned shoppers a row, if any.
    public func shortage(shoppers: Int) -> String? {
        guard pick == .unique, shoppers > rows.count else { return nil }
        return "the feeder \(name) (\(file)) has \(rows.count) rows for \(shoppers) planned shoppers; pick: unique "
            + "gives each shopper its own row (add rows, lower the rate or the window, or pick: sequential)"
    }
}

/// Reading a feeder's file: CSV with a header row (RFC 4180: quoted fields, doubled quotes, line breaks inside
/// quotes) or JSON lines (one object per line).
public enum FeederFile {
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    public static func csv(_ text: String) throws(Problem) -> (columns: [String], rows: [[String]]) {
        var records: [(line: Int, fields: [String])] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var recordLine = 1
        var atFieldStart = true
        var scalars = Array(text.unicodeScalars)
        if scalars.first == "\u{FEFF}" { scalars.removeFirst() }
        var index = 0
        func endRecord() {
            fields.append(field)
            if !(fields.count == 1 && fields[0].isEmpty) { records.append((recordLine, fields)) }
            fields = []
            field = ""
            atFieldStart = true
        }
        while index < scalars.count {
            let scalar = scalars[index]
            if quoted {
                if scalar == "\"" {
                    if index + 1 < scalars.count, scalars[index + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if scalar == "\n" { line += 1 }
                    field.unicodeScalars.append(scalar)
                }
            } else {
                switch scalar {
                case "\"" where atFieldStart:
                    quoted = true
                case ",":
                    fields.append(field)
                    field = ""
                    atFieldStart = true
                    index += 1
                    continue
                case "\r":
                    break
                case "\n":
                    endRecord()
                    line += 1
                    recordLine = line
                    index += 1
                    continue
                default:
                    field.unicodeScalars.append(scalar)
                }
            }
            atFieldStart = false
            index += 1
        }
        if quoted { throw Problem(line: recordLine, message: "a quoted field is not closed") }
        if !field.isEmpty || !fields.isEmpty { endRecord() }
        guard let header = records.first else {
            throw Problem(line: 1, message: "expected a header row, found nothing")
        }
        let columns = header.fields.map { String($0.trimmingWhitespace()) }
        if let empty = columns.firstIndex(where: \.isEmpty) {
            throw Problem(line: header.line, message: "column \(empty + 1) of the header has no name")
        }
        if let twice = columns.enumerated().first(where: { columns[..<$0.offset].contains($0.element) }) {
            throw Problem(line: header.line, message: "the column \"\(twice.element)\" appears twice")
        }
        var rows: [[String]] = []
        for record in records.dropFirst() {
            guard record.fields.count == columns.count else {
                throw Problem(
                    line: record.line,
                    message: "expected \(columns.count) fields (\(columns.joined(separator: ", "))), found "
                        + "\(record.fields.count)")
            }
            rows.append(record.fields)
        }
        guard !rows.isEmpty else { throw Problem(line: header.line, message: "expected rows after the header") }
        return (columns, rows)
    }

    public static func jsonLines(_ text: String) throws(Problem) -> (columns: [String], rows: [[String]]) {
        var columns: [String] = []
        var objects: [[String: String]] = []
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingWhitespace()
            guard !line.isEmpty else { continue }
            guard case .object(let members)? = JSONValue(parsing: Array(line.utf8)) else {
                throw Problem(line: number + 1, message: "expected a JSON object on the line")
            }
            var object: [String: String] = [:]
            for (key, value) in members {
                guard let text = value.scalarText else {
                    throw Problem(line: number + 1, message: "the value of \"\(key)\" is not a text, number or boolean")
                }
                if !columns.contains(key) { columns.append(key) }
                object[key] = text
            }
            objects.append(object)
        }
        guard !objects.isEmpty else { throw Problem(line: 1, message: "expected JSON objects, one per line") }
        return (columns, objects.map { object in columns.map { object[$0] ?? "" } })
    }
}
