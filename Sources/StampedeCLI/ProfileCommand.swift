public import ArgumentParser
import Foundation
import StampedeConfig
import StampedeCore

/// `stampede profile …`: working with profiles.
public struct ProfileCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "profile", abstract: "Work with profiles.", subcommands: [FromLogCommand.self])

    public init() {}
}

/// `stampede profile from-log ACCESS_LOG`: last year's day, as a profile.
public struct FromLogCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "from-log",
        abstract: "Derive a profile (24 hourly weights and the top-of-hour bursts) from an access log.",
        discussion: """
            Reads nginx or Apache combined (or common) log lines, or JSON lines with a time field, as a stream \
            (a 10 GB log in constant memory), in the log's own time zone. Each hour's weight is its requests per \
            minute outside its bursts; a burst is a run of minutes from the top of the hour well above the hour's \
            usual minute, written as a spike whose level is against the busiest hour. Every day of the log is \
            laid on one day. The profile is checked by loading it before it is written.
            """)

    @Argument(help: "The access log (combined log format, or JSON lines).") var accessLog: String
    @Option(help: "Count only requests whose path matches this regular expression (e.g. '^/api/(order|pay)').")
    var path: String?
    @Option(help: "Write the profile here instead of standard output.") var output: String?
    @Option(help: "The profile's name (default: the log's file name).") var name: String?
    @Option(help: "The profile's IANA time zone (default: from the offsets the log gives, e.g. +0800 → Etc/GMT-8).")
    var timezone: String?
    @Option(help: "JSON lines: the field holding the time (ISO 8601, or seconds since the epoch, UTC).")
    var timeField = "time"

    public init() {}

    public func run() async throws {
        try await failing("stampede profile from-log", Self.self) { try work() }
    }

    public func validate() throws {
        try OutputFile.check(output, option: "--output")
    }

    private func work() throws {
        let filter: Regex<AnyRegexOutput>?
        do {
            filter = try path.map { try Regex($0) }
        } catch {
            throw ValidationError("--path: not a regular expression: \(error)")
        }
        guard let handle = FileHandle(forReadingAtPath: accessLog) else {
            throw CommandFailure(.usage, "cannot read \(accessLog)")
        }
        defer { try? handle.close() }
        var shape = TrafficShape()
        let fields = AccessLogLine.JSONFields(time: timeField)
        let keep: (Substring) -> Bool = { path in filter.map { (try? $0.firstMatch(in: path)) != nil } ?? true }
        var carry: [UInt8] = []
        var bytesRead = 0
        var nextProgress = 256 << 20
        while true {
            // As an array: Data's subscript checks exclusive access on every byte, which cost a third of the time.
            let read: Data?
            do {
                read = try handle.read(upToCount: 1 << 20)
            } catch {
                // A folder opens, then fails its first read ("Is a directory"); a disk can fail mid-log.
                let after = bytesRead == 0 ? "" : " after \(bytesRead) bytes"
                throw CommandFailure(.usage, "cannot read \(accessLog)\(after): \(FileErrorReason.of(error))")
            }
            let chunk = [UInt8](read ?? Data())
            if chunk.isEmpty { break }
            bytesRead += chunk.count
            var start = chunk.startIndex
            for index in chunk.indices where chunk[index] == UInt8(ascii: "\n") {
                if carry.isEmpty {
                    shape.add(
                        Substring(String(decoding: chunk[start..<index], as: UTF8.self)), json: fields, keep: keep)
                } else {
                    carry += chunk[start..<index]
                    shape.add(Substring(String(decoding: carry, as: UTF8.self)), json: fields, keep: keep)
                    carry.removeAll(keepingCapacity: true)
                }
                start = index + 1
            }
            carry += chunk[start...]
            if bytesRead >= nextProgress {
                printError("from-log: \(bytesRead >> 20) MB read, \(shape.linesRead) lines, \(shape.counted) counted")
                nextProgress += 256 << 20
            }
        }
        if !carry.isEmpty { shape.add(Substring(String(decoding: carry, as: UTF8.self)), json: fields, keep: keep) }
        guard let derived = DerivedProfile(shape) else {
            throw CommandFailure(
                .usage,
                "\(accessLog): no request was counted (\(shape.linesRead) lines read, \(shape.filteredOut) left out "
                    + "by --path, \(shape.skippedTotal) skipped)")
        }
        let zone = try timeZone(shape)
        let base = ((accessLog as NSString).lastPathComponent as NSString).deletingPathExtension
        let profileName = name ?? base.replacingOccurrences(of: " ", with: "-")
        let text = derived.yaml(name: profileName, timeZone: zone, derivation: derivation(shape, zone: zone))
        do {
            _ = try ProfileLoader.parse(text, file: output ?? "profile.yaml")
        } catch {
            throw CommandFailure(
                .internalError, "the derived profile does not load (a bug; please report it):\n\(error)")
        }
        if let output {
            try OutputFile.write(text, to: output, option: "--output")
            printError(
                "wrote \(output): \(shape.counted) requests counted of \(shape.linesRead) lines, "
                    + "\(derived.spikes.count) spike(s)")
        } else {
            print(text, terminator: "")
        }
    }

    /// The time zone the profile names: `--timezone`, else the log's usual offset as an Etc zone.
    private func timeZone(_ shape: TrafficShape) throws -> String {
        if let timezone {
            guard TimeZone(identifier: timezone) != nil else {
                throw ValidationError(
                    "--timezone: expected an IANA time zone such as Asia/Shanghai, found \"\(timezone)\"")
            }
            return timezone
        }
        guard let offset = shape.usualOffset, offset != 0 else { return "UTC" }
        guard offset % 3600 == 0 else {
            throw CommandFailure(
                .usage, "the log's times are at UTC\(Self.offsetText(offset)), which no Etc zone names: give --timezone"
            )
        }
        // Etc zones count the other way: UTC+8 is Etc/GMT-8.
        return "Etc/GMT\(offset > 0 ? "-" : "+")\(abs(offset) / 3600)"
    }

    static func offsetText(_ offset: Int) -> String {
        let minutes = abs(offset) / 60
        return (offset < 0 ? "-" : "+") + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    private func derivation(_ shape: TrafficShape, zone: String) -> [String] {
        let date = { (day: Int) in String(format: "%04d-%02d-%02d", day / 10_000, day / 100 % 100, day % 100) }
        var lines = [
            "Derived by `stampede profile from-log \((accessLog as NSString).lastPathComponent)"
                + (path.map { " --path '\($0)'" } ?? "") + "`.",
            "Lines read: \(shape.linesRead); counted: \(shape.counted); left out by --path: \(shape.filteredOut); "
                + "skipped: \(shape.skippedTotal).",
        ]
        for skip in AccessLogLine.Skip.allCases {
            guard let count = shape.skipped[skip] else { continue }
            lines.append("  skipped, \(skip.rawValue): \(count) (the first at line \(shape.firstSkipped[skip] ?? 0))")
        }
        if let first = shape.first, let last = shape.last {
            let days =
                AccessLogLine.daysSinceEpoch(yyyymmdd: last.day) - AccessLogLine.daysSinceEpoch(yyyymmdd: first.day) + 1
            lines.append(
                "Dates: \(date(first.day)) to \(date(last.day)) (\(days) day\(days == 1 ? "" : "s"), laid on one day), "
                    + "local time"
                    + (shape.usualOffset.map { " at UTC\(Self.offsetText($0))" } ?? "") + "; time zone \(zone).")
        }
        lines += [
            "Weights: each hour's requests per minute outside its bursts, per mille of the 24 hours' sum.",
            "Spikes: minutes from the top of the hour above \(DerivedProfile.spikeFactor)x the hour's median minute "
                + "(and 5 sigma above it); level is against the busiest hour's rate, as profiles play it.",
        ]
        return lines
    }
}
