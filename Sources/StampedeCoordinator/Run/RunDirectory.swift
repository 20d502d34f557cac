import Foundation
public import StampedeCore
import StampedeReport
import Synchronization

/// A run's directory: `plan.json` first, `intervals.jsonl` and `facts.jsonl` appended as intervals arrive and as
/// the coordinator learns things (so a crash loses at most what was in flight), `report.json` and `report.txt`
/// at the end.
public final class RunDirectory: Sendable {
    public let path: String
    private let logs = Mutex<(intervals: FileHandle?, facts: FileHandle?)>((nil, nil))

    public static let planFile = "plan.json"
    public static let intervalsFile = "intervals.jsonl"
    public static let factsFile = "facts.jsonl"
    public static let reportFile = "report.json"
    public static let textReportFile = "report.txt"
    public static let junitFile = "junit.xml"
    public static let summaryFile = "summary.md"
    public static let htmlFile = "report.html"

    private init(path: String) {
        self.path = path
    }

    /// A name for a new run under `parent`: `base` (the time and the profile), or `base-2`, `base-3`, … when runs
    /// started in the same second have those. Two runs started back to back (a CI job, a script) both took `base`,
    /// and the second failed with exit 70 ("A file with the same name already exists").
    public static func freeID(_ base: String, under parent: String) -> String {
        let taken = { (id: String) in
            FileManager.default.fileExists(atPath: (parent as NSString).appendingPathComponent(id))
        }
        guard taken(base) else { return base }
        return (2...).lazy.map { "\(base)-\($0)" }.first { !taken($0) }!
    }

    /// Makes `runs/<id>` (failing if it exists) and writes the plan into it.
    public static func create(under parent: String, record: RunRecord) throws -> RunDirectory {
        let path = (parent as NSString).appendingPathComponent(record.id)
        do {
            try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        } catch {
            throw RunDirectoryError("cannot create the run directory \(path): \(error.localizedDescription)")
        }
        let directory = RunDirectory(path: path)
        try directory.write(encode(record, pretty: true), to: planFile)
        let intervals = try directory.createLog(intervalsFile)
        let facts = try directory.createLog(factsFile)
        directory.logs.withLock { $0 = (intervals, facts) }
        return directory
    }

    private func createLog(_ name: String) throws -> FileHandle {
        guard FileManager.default.createFile(atPath: file(name), contents: nil),
            let handle = FileHandle(forWritingAtPath: file(name))
        else { throw RunDirectoryError("cannot create \(file(name))") }
        return handle
    }

    /// Opens an existing run directory for reading.
    public static func open(_ path: String) -> RunDirectory { RunDirectory(path: path) }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Appends one interval as a line. It is in the kernel's hands when this returns, so a crash of this process
    /// loses nothing already appended (no fsync: that would stall the run for a power cut's sake).
    public func append(_ interval: IntervalReport) throws {
        var line = Data(interval.jsonLine().utf8)
        line.append(0x0A)
        try logs.withLock { handles in try handles.intervals?.write(contentsOf: line) }
    }

    /// Appends one fact as a line, as intervals are.
    public func append(_ fact: RunFact) throws {
        var line = try Self.encode(fact, pretty: false)
        line.append(0x0A)
        try logs.withLock { handles in try handles.facts?.write(contentsOf: line) }
    }

    /// Every report of a run, from the one report (and its series, for the charts): `report.json`, `report.txt`,
    /// `junit.xml`, `summary.md`, `report.html`.
    public func writeReports(_ report: RunReport, series: RunSeries, judgement: RunJudgement) throws {
        try write(JSONReport.encode(report), to: Self.reportFile)
        try write(Data(ConsoleReport.render(report).utf8), to: Self.textReportFile)
        try write(Data(JUnitReport.render(report, judgement: judgement).utf8), to: Self.junitFile)
        try write(
            Data(MarkdownSummary.render(report, judgement: judgement, directory: path).utf8), to: Self.summaryFile)
        try writeHTML(report, series: series, judgement: judgement)
    }

    /// `report.html`: the run as one page that opens from disk in any browser.
    public func writeHTML(_ report: RunReport, series: RunSeries, judgement: RunJudgement) throws {
        try write(Data(HTMLReport.render(report, series: series, judgement: judgement).utf8), to: Self.htmlFile)
    }

    /// Each step's HdrHistogram percentile distributions, for HdrHistogram's plotting tools.
    public func writeDistributions(
        _ steps: [(flow: String, step: String, corrected: SparseHistogram, uncorrected: SparseHistogram)]
    ) throws {
        let folder = file("histograms")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        for step in steps {
            for (kind, histogram) in [("corrected", step.corrected), ("uncorrected", step.uncorrected)] {
                let name = "\(step.flow).\(step.step).\(kind).hgrm".map {
                    $0.isLetter || $0.isNumber || "._-".contains($0) ? $0 : "_"
                }
                try write(Data(PercentileDistribution.render(histogram).utf8), to: "histograms/" + String(name))
            }
        }
    }

    public func close() {
        logs.withLock { handles in
            try? handles.intervals?.close()
            try? handles.facts?.close()
            handles = (nil, nil)
        }
    }

    /// What a run directory holds, read back.
    public struct Contents: Sendable {
        public var record: RunRecord
        public var intervals: [IntervalReport]
        public var facts: [RunFact]
        /// Lines cut short by a crash (the last of a log), skipped.
        public var damaged: Int
        /// Other lines that could not be read, left out when asked (`file:line (why)`).
        public var unreadable: [String] = []
    }

    /// Reads the plan, every complete interval and every fact. A last line cut short by a crash is skipped and
    /// counted in `damaged`; any other bad line is an error, or, `skippingUnreadable`, left out and named in
    /// `unreadable` (a disk fault in the middle of a log: the rest of the run is still worth a report).
    public func load(skippingUnreadable: Bool = false) throws(RunDirectoryError) -> Contents {
        guard let planData = FileManager.default.contents(atPath: file(Self.planFile)) else {
            throw RunDirectoryError("\(file(Self.planFile)): no such file; is \(path) a run directory?")
        }
        let record: RunRecord
        do {
            record = try JSONDecoder().decode(RunRecord.self, from: planData)
        } catch {
            throw RunDirectoryError(
                "\(file(Self.planFile)): not a run plan (\(DecodingError.plainDescription(of: error)))")
        }
        var unreadable: [String] = []
        let (intervals, damagedIntervals) = try lines(
            of: Self.intervalsFile, as: IntervalReport.self, "an interval report",
            skipping: skippingUnreadable ? { unreadable.append($0) } : nil)
        let (facts, damagedFacts) = try lines(
            of: Self.factsFile, as: RunFact.self, "a fact of the run",
            skipping: skippingUnreadable ? { unreadable.append($0) } : nil)
        return Contents(
            record: record, intervals: intervals, facts: facts, damaged: damagedIntervals + damagedFacts,
            unreadable: unreadable)
    }

    private func lines<Value: Decodable>(
        of name: String, as type: Value.Type, _ what: String, skipping: ((String) -> Void)?
    ) throws(RunDirectoryError) -> ([Value], damaged: Int) {
        let data = FileManager.default.contents(atPath: file(name)) ?? Data()
        var values: [Value] = []
        var damaged = 0
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        let decoder = JSONDecoder()
        for (number, line) in lines.enumerated() where !line.isEmpty {
            do {
                values.append(try decoder.decode(Value.self, from: Data(line)))
            } catch {
                guard lines[(number + 1)...].allSatisfy(\.isEmpty) else {
                    let place =
                        "\(file(name)):\(number + 1): not \(what) (\(DecodingError.plainDescription(of: error)))"
                    if let skipping {
                        skipping(place)
                        continue
                    }
                    throw RunDirectoryError(
                        place + "; `stampede report --skip-unreadable \(path)` leaves such a line out and names it")
                }
                damaged += 1
            }
        }
        return (values, damaged)
    }

    private func write(_ data: Data, to name: String) throws {
        try data.write(to: URL(fileURLWithPath: file(name)), options: .atomic)
    }

    static func encode(_ value: some Encodable, pretty: Bool) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys] : [.sortedKeys]
        return try encoder.encode(value)
    }
}

public struct RunDirectoryError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
