/// What an access log says about a day's shape: requests per minute of the day (every day of the log laid on one
/// day, in the log's own local time), and how many lines were read, filtered out or skipped, and why. Constant
/// size whatever the log's length: a 10 GB log is read as a stream into 1,440 counters.
public struct TrafficShape: Sendable {
    public private(set) var perMinute = [Int](repeating: 0, count: 1_440)
    public private(set) var linesRead = 0
    public private(set) var counted = 0
    /// Lines whose path the filter left out.
    public private(set) var filteredOut = 0
    public private(set) var skipped: [AccessLogLine.Skip: Int] = [:]
    /// Where the first line of each kind of skip was, for the derivation's comment.
    public private(set) var firstSkipped: [AccessLogLine.Skip: Place] = [:]
    /// The earliest and the latest request, as (yyyymmdd, second of the day).
    public private(set) var first: (day: Int, second: Int)?
    public private(set) var last: (day: Int, second: Int)?
    /// The UTC offsets the counted lines gave, and how many gave each.
    public private(set) var offsets: [Int: Int] = [:]

    /// The file being read (when there are several) and the line number in it.
    private var file: String?
    private var lineInFile = 0

    /// A line of the log: its file when the log came in several.
    public struct Place: Sendable, Equatable, CustomStringConvertible {
        public var file: String?
        public var line: Int

        public var description: String { file.map { "\($0):\(line)" } ?? "line \(line)" }
    }

    public init() {}

    /// The lines from here on are from `name`, numbered from 1 (a log given as several files).
    public mutating func beginFile(_ name: String) {
        file = name
        lineInFile = 0
    }

    /// Reads one line; `keep` decides by path whether it is counted (a `--path` filter).
    public mutating func add(
        _ line: Substring, json: AccessLogLine.JSONFields = .init(), keep: (Substring) -> Bool = { _ in true }
    ) {
        lineInFile += 1
        if line.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) { return }
        linesRead += 1
        switch AccessLogLine.parse(line, json: json) {
        case .failure(let error):
            skipped[error.skip, default: 0] += 1
            if firstSkipped[error.skip] == nil { firstSkipped[error.skip] = Place(file: file, line: lineInFile) }
        case .success(let request):
            guard keep(request.path) else {
                filteredOut += 1
                return
            }
            add(request)
        }
    }

    public mutating func add(_ request: AccessLogLine) {
        counted += 1
        perMinute[min(1_439, request.secondOfDay / 60)] += 1
        let instant = (day: request.day, second: request.secondOfDay)
        if first.map({ instant < $0 }) ?? true { first = instant }
        if last.map({ instant > $0 }) ?? true { last = instant }
        if let offset = request.utcOffset { offsets[offset, default: 0] += 1 }
    }

    /// The offset most lines gave (the log's time zone), if any did.
    public var usualOffset: Int? { offsets.max { ($0.value, -$0.key) < ($1.value, -$1.key) }?.key }

    public var skippedTotal: Int { skipped.values.reduce(0, +) }

    /// On how many days of the log each minute of the day was covered (between the first and the last request),
    /// so that a log from 13:00 one day to 13:00 the next counts each minute once, not the afternoon twice.
    public var coverage: [Int] {
        guard let first, let last else { return [Int](repeating: 0, count: 1_440) }
        let days = AccessLogLine.daysSinceEpoch(yyyymmdd: last.day) - AccessLogLine.daysSinceEpoch(yyyymmdd: first.day)
        let firstMinute = first.second / 60
        let lastMinute = min(1_439, last.second / 60)
        return (0..<1_440).map { minute in
            if days == 0 { return (firstMinute...lastMinute).contains(minute) ? 1 : 0 }
            // Whole days in between, plus the first day from its first minute and the last day up to its last.
            return days - 1 + (minute >= firstMinute ? 1 : 0) + (minute <= lastMinute ? 1 : 0)
        }
    }
}
