public import Foundation
public import StampedeCore
import StampedeReport
import Synchronization

/// A run's directory: `plan.json` first, `intervals.jsonl` appended as intervals arrive (so a crash loses at
/// most the interval in flight), `report.json` and `report.txt` at the end.
public final class RunDirectory: Sendable {
    public let path: String
    private let intervals = Mutex<FileHandle?>(nil)

    public static let planFile = "plan.json"
    public static let intervalsFile = "intervals.jsonl"
    public static let reportFile = "report.json"
    public static let textReportFile = "report.txt"

    private init(path: String) {
        self.path = path
    }

    /// Makes `runs/<id>` (failing if it exists) and writes the plan into it.
    public static func create(under parent: String, record: RunRecord) throws -> RunDirectory {
        let path = (parent as NSString).appendingPathComponent(record.id)
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
        let directory = RunDirectory(path: path)
        try directory.write(encode(record, pretty: true), to: planFile)
        guard FileManager.default.createFile(atPath: directory.file(intervalsFile), contents: nil),
            let handle = FileHandle(forWritingAtPath: directory.file(intervalsFile))
        else { throw RunDirectoryError("cannot create \(directory.file(intervalsFile))") }
        directory.intervals.withLock { $0 = handle }
        return directory
    }

    /// Opens an existing run directory for reading.
    public static func open(_ path: String) -> RunDirectory { RunDirectory(path: path) }

    public func file(_ name: String) -> String { (path as NSString).appendingPathComponent(name) }

    /// Appends one interval as a line. It is in the kernel's hands when this returns, so a crash of this process
    /// loses nothing already appended (no fsync: that would stall the run for a power cut's sake).
    public func append(_ interval: IntervalReport) throws {
        var line = Data(interval.jsonLine().utf8)
        line.append(0x0A)
        try intervals.withLock { handle in try handle?.write(contentsOf: line) }
    }

    public func writeReport(_ json: Data, text: String) throws {
        try write(json, to: Self.reportFile)
        try write(Data(text.utf8), to: Self.textReportFile)
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
        intervals.withLock { handle in
            try? handle?.close()
            handle = nil
        }
    }

    /// Reads the plan and every complete interval. A last line cut short by a crash is skipped and reported in
    /// `damaged`; any other bad line is an error.
    public func load() throws(RunDirectoryError) -> (record: RunRecord, intervals: [IntervalReport], damaged: Int) {
        guard let planData = FileManager.default.contents(atPath: file(Self.planFile)) else {
            throw RunDirectoryError("\(file(Self.planFile)): no such file; is \(path) a run directory?")
        }
        let record: RunRecord
        do {
            record = try JSONDecoder().decode(RunRecord.self, from: planData)
        } catch {
            throw RunDirectoryError("\(file(Self.planFile)): not a run plan (\(error))")
        }
        let data = FileManager.default.contents(atPath: file(Self.intervalsFile)) ?? Data()
        var intervals: [IntervalReport] = []
        var damaged = 0
        let lines = data.split(separator: 0x0A, omittingEmptySubsequences: false)
        let decoder = JSONDecoder()
        for (number, line) in lines.enumerated() where !line.isEmpty {
            do {
                intervals.append(try decoder.decode(IntervalReport.self, from: Data(line)))
            } catch {
                let isLast = lines[(number + 1)...].allSatisfy(\.isEmpty)
                guard isLast else {
                    throw RunDirectoryError(
                        "\(file(Self.intervalsFile)):\(number + 1): not an interval report (\(error))")
                }
                damaged += 1
            }
        }
        return (record, intervals, damaged)
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
