/// One request read from an access log: when it came (the local time the log wrote, and that time's UTC offset
/// when the log gave one) and the path it asked for.
///
/// Two formats: nginx's and Apache's *combined* (and *common*) log lines,
/// `1.2.3.4 - - [11/Nov/2025:00:00:01 +0800] "POST /api/order?x=1 HTTP/1.1" 200 …`, and JSON lines with a time
/// field (ISO 8601, `2025-11-11T00:00:01+08:00`, or seconds since the epoch, taken as UTC) and a path field (or a
/// request line, `"request": "POST /api/order HTTP/1.1"`).
public struct AccessLogLine: Sendable, Equatable {
    /// The calendar day as written, yyyymmdd.
    public var day: Int
    /// Seconds since the local midnight.
    public var secondOfDay: Int
    /// The time's offset from UTC in seconds, when the line gave one.
    public var utcOffset: Int?
    /// The path, without the query.
    public var path: Substring

    public init(day: Int, secondOfDay: Int, utcOffset: Int?, path: Substring) {
        self.day = day
        self.secondOfDay = secondOfDay
        self.utcOffset = utcOffset
        self.path = path
    }

    /// Why a line was not read; the derivation counts them.
    public enum Skip: String, Sendable, CaseIterable {
        case noTime = "no time"
        case badTime = "a time that is not a date"
        case noRequest = "no request line or path"
        case notJSON = "not JSON"
    }

    /// Field names for JSON lines.
    public struct JSONFields: Sendable {
        public var time: String
        public var path: [String]

        public init(time: String = "time", path: [String] = ["path", "uri", "url", "request"]) {
            self.time = time
            self.path = path
        }
    }

    /// Reads one line of either format (a line starting with `{` is JSON).
    public static func parse(_ line: Substring, json fields: JSONFields = JSONFields()) -> Result<Self, SkipError> {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        if trimmed.first == "{" { return parseJSON(trimmed, fields: fields) }
        return parseCombined(line)
    }

    public struct SkipError: Error, Sendable, Equatable {
        public var skip: Skip
        public init(_ skip: Skip) { self.skip = skip }
    }

    // MARK: - Combined log format

    static func parseCombined(_ line: Substring) -> Result<Self, SkipError> {
        // Bytes, not characters: a log line is ASCII where it matters, and this runs once per line of a 10 GB log.
        let bytes = line.utf8
        guard let open = bytes.firstIndex(of: UInt8(ascii: "[")),
            let close = bytes[open...].firstIndex(of: UInt8(ascii: "]"))
        else { return .failure(SkipError(.noTime)) }
        guard let time = combinedTime(line[bytes.index(after: open)..<close]) else {
            return .failure(SkipError(.badTime))
        }
        let rest = bytes[bytes.index(after: close)...]
        guard let quote = rest.firstIndex(of: UInt8(ascii: "\"")),
            let end = bytes[bytes.index(after: quote)...].firstIndex(of: UInt8(ascii: "\"")),
            let path = pathOfRequestLine(line[bytes.index(after: quote)..<end])
        else { return .failure(SkipError(.noRequest)) }
        return .success(AccessLogLine(day: time.day, secondOfDay: time.second, utcOffset: time.offset, path: path))
    }

    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `11/Nov/2025:00:00:01 +0800`.
    static func combinedTime(_ text: Substring) -> (day: Int, second: Int, offset: Int?)? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, bytes[2] == UInt8(ascii: "/"), bytes[6] == UInt8(ascii: "/"),
            bytes[11] == UInt8(ascii: ":"), bytes[14] == UInt8(ascii: ":"), bytes[17] == UInt8(ascii: ":"),
            let dayOfMonth = number(bytes[0..<2]), let year = number(bytes[7..<11]),
            let month = months.firstIndex(of: String(decoding: bytes[3..<6], as: UTF8.self)),
            let hour = number(bytes[12..<14]), let minute = number(bytes[15..<17]),
            let second = number(bytes[18..<20]), valid(month + 1, dayOfMonth, hour, minute, second)
        else { return nil }
        var offset: Int?
        if bytes.count >= 26, bytes[20] == UInt8(ascii: " ") {
            guard let zone = zoneOffset(bytes[21..<26]) else { return nil }
            offset = zone
        }
        return (year * 10_000 + (month + 1) * 100 + dayOfMonth, hour * 3600 + minute * 60 + second, offset)
    }

    /// `POST /api/order?x=1 HTTP/1.1` → `/api/order`; an absolute URL gives its path.
    static func pathOfRequestLine(_ request: Substring) -> Substring? {
        let bytes = request.utf8
        let space = UInt8(ascii: " ")
        guard var start = bytes.firstIndex(of: space) else { return nil }
        while start < bytes.endIndex && bytes[start] == space { start = bytes.index(after: start) }
        guard start < bytes.endIndex else { return nil }
        let end = bytes[start...].firstIndex(of: space) ?? bytes.endIndex
        return pathOfTarget(request[start..<end])
    }

    static func pathOfTarget(_ target: Substring) -> Substring? {
        var target = target
        if target.utf8.first != UInt8(ascii: "/"), let scheme = target.firstRange(of: "://") {
            let afterHost = target[scheme.upperBound...].utf8.firstIndex(of: UInt8(ascii: "/")) ?? target.endIndex
            target = target[afterHost...]
        }
        if let query = target.utf8.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) {
            target = target[..<query]
        }
        guard target.utf8.first == UInt8(ascii: "/") else { return nil }
        return target
    }

    // MARK: - JSON lines

    static func parseJSON(_ line: Substring, fields: JSONFields) -> Result<Self, SkipError> {
        guard let document = JSONValue(parsing: Array(line.utf8)) else { return .failure(SkipError(.notJSON)) }
        guard let value = document[fields.time] else { return .failure(SkipError(.noTime)) }
        let time: (day: Int, second: Int, offset: Int?)?
        switch value {
        case .string(let text): time = isoTime(Substring(text))
        case .number(let text): time = Double(text).flatMap(epochTime)
        default: time = nil
        }
        guard let time else { return .failure(SkipError(.badTime)) }
        for name in fields.path {
            guard let text = document[name]?.scalarText else { continue }
            let path = text.contains(" ") ? pathOfRequestLine(Substring(text)) : pathOfTarget(Substring(text))
            if let path {
                return .success(
                    AccessLogLine(day: time.day, secondOfDay: time.second, utcOffset: time.offset, path: path))
            }
        }
        return .failure(SkipError(.noRequest))
    }

    /// `2025-11-11T00:00:01(.123)(Z|+08:00|+0800)`, or with a space for the T.
    static func isoTime(_ text: Substring) -> (day: Int, second: Int, offset: Int?)? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 19, bytes[4] == UInt8(ascii: "-"), bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: " "), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":"), let year = number(bytes[0..<4]), let month = number(bytes[5..<7]),
            let dayOfMonth = number(bytes[8..<10]), let hour = number(bytes[11..<13]),
            let minute = number(bytes[14..<16]), let second = number(bytes[17..<19]),
            valid(month, dayOfMonth, hour, minute, second)
        else { return nil }
        var index = 19
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
        }
        var offset: Int?
        if index < bytes.count {
            if bytes[index] == UInt8(ascii: "Z") && index + 1 == bytes.count {
                offset = 0
            } else {
                let zone = bytes[index...].filter { $0 != UInt8(ascii: ":") }
                guard zone.count == 5, let parsed = zoneOffset(zone[...]) else { return nil }
                offset = parsed
            }
        }
        return (year * 10_000 + month * 100 + dayOfMonth, hour * 3600 + minute * 60 + second, offset)
    }

    /// Seconds since 1970-01-01 UTC, as a UTC calendar day and second.
    static func epochTime(_ seconds: Double) -> (day: Int, second: Int, offset: Int?)? {
        guard seconds.isFinite, seconds >= 0, seconds < 32_503_680_000 else { return nil }
        let whole = Int(seconds)
        let (days, second) = whole.quotientAndRemainder(dividingBy: 86_400)
        let (year, month, day) = civilDate(daysSinceEpoch: days)
        return (year * 10_000 + month * 100 + day, second, 0)
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's days-to-civil).
    static func civilDate(daysSinceEpoch: Int) -> (year: Int, month: Int, day: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Days from 1970-01-01 to a yyyymmdd date (Howard Hinnant's days-from-civil).
    public static func daysSinceEpoch(yyyymmdd: Int) -> Int {
        let (year0, rest) = yyyymmdd.quotientAndRemainder(dividingBy: 10_000)
        let (month, day) = rest.quotientAndRemainder(dividingBy: 100)
        let year = month <= 2 ? year0 - 1 : year0
        let era = (year >= 0 ? year : year - 399) / 400
        let yearOfEra = year - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `+0800` → 28,800.
    static func zoneOffset(_ bytes: ArraySlice<UInt8>) -> Int? {
        let start = bytes.startIndex
        guard bytes.count == 5, bytes[start] == UInt8(ascii: "+") || bytes[start] == UInt8(ascii: "-"),
            let hours = number(bytes[(start + 1)..<(start + 3)]),
            let minutes = number(bytes[(start + 3)..<(start + 5)]),
            hours < 24, minutes < 60
        else { return nil }
        let offset = hours * 3600 + minutes * 60
        return bytes[start] == UInt8(ascii: "-") ? -offset : offset
    }

    static func number(_ digits: ArraySlice<UInt8>) -> Int? {
        var value = 0
        for byte in digits {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return digits.isEmpty ? nil : value
    }

    static func valid(_ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Bool {
        (1...12).contains(month) && (1...31).contains(day) && hour < 24 && minute < 60 && second < 61
    }
}
