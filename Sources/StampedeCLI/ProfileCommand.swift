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
            Reads nginx or Apache combined (or common) log lines, or JSON lines with a time field, plain or gzip, \
            as a stream (a 10 GB log in constant memory), in the log's own time zone. Each hour's weight is its requests per \
            minute outside its bursts; a burst is a run of minutes from the top of the hour well above the hour's \
            usual minute, written as a spike whose level is against the busiest hour. Every day of the log is \
            laid on one day. The profile is checked by loading it before it is written.
            """)

    @Argument(
        help: """
            The access log (combined log format, or JSON lines): plain or gzip (access.log.2.gz), one file or \
            several (a rotated log's days), or - for standard input.
            """)
    var accessLogs: [String]
    @Option(help: "Count only requests whose path matches this regular expression (e.g. '^/api/(order|pay)').")
    var path: String?
    @Option(help: "Write the profile here instead of standard output.") var output: String?
    @Option(help: "The profile's name: letters, digits, '-', '_' or '.' (default: the first log's file name).")
    var name: String?
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
        if accessLogs.filter({ $0 == "-" }).count > 1 { throw ValidationError("- (standard input) can be read once") }
        if let name, !ShortName.isValid(name) {
            throw ValidationError("--name: expected \(ShortName.rule), found \"\(name)\"")
        }
    }

    private func work() throws {
        let filter: Regex<AnyRegexOutput>?
        do {
            filter = try path.map { try Regex($0) }
        } catch {
            throw ValidationError("--path: not a regular expression: \(error)")
        }
        var shape = TrafficShape()
        let fields = AccessLogLine.JSONFields(time: timeField)
        let keep: (Substring) -> Bool = { path in filter.map { (try? $0.firstMatch(in: path)) != nil } ?? true }
        var bytesBefore = 0
        var nextProgress = 256 << 20
        for accessLog in accessLogs {
            if accessLogs.count > 1 { shape.beginFile(accessLog == "-" ? "stdin" : accessLog) }
            let file = LogFile(path: accessLog)
            let ending: LogFile.Ending
            do {
                ending = try file.forEachLine(
                    progress: { bytes in
                        guard bytesBefore + bytes >= nextProgress else { return }
                        printError(
                            "from-log: \((bytesBefore + bytes) >> 20) MB read, \(shape.linesRead) lines, "
                                + "\(shape.counted) counted")
                        nextProgress += 256 << 20
                    },
                    line: { shape.add($0, json: fields, keep: keep) })
            } catch {
                throw CommandFailure(.usage, Self.message(error, file: accessLog == "-" ? "standard input" : accessLog))
            }
            bytesBefore += ending.bytes
            if ending.cutShort {
                printError(
                    "warning: \(accessLog) ends inside its gzip stream (cut short, or still being written): "
                        + "its lines up to there are counted")
            }
        }
        guard let derived = DerivedProfile(shape) else {
            throw CommandFailure(.usage, noRequestCounted(shape))
        }
        let zone = try timeZone(shape)
        let profileName = name ?? DerivedProfile.name(fromFile: accessLogs[0])
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

    /// A log that cannot be read, in words: what it is, and what to do.
    static func message(_ failure: LogFile.Failure, file: String) -> String {
        switch failure {
        case .unreadable(let reason, let after):
            return "cannot read \(file)" + (after == 0 ? "" : " after \(after) bytes") + ": \(reason)"
        case .compressed(let format, let tool):
            return "\(file) is \(format)-compressed, which is not read here (plain text and gzip are): give it "
                + "decompressed, e.g. `\(tool) \(file) | stampede profile from-log -`"
        case .damaged(let reason, let after):
            return "\(file) is damaged after \(after) bytes: gzip stream: \(reason)"
        }
    }

    /// Why nothing was counted: the counts, and the first line of each kind that was skipped.
    private func noRequestCounted(_ shape: TrafficShape) -> String {
        var text =
            "\(accessLogs.joined(separator: ", ")): no request was counted (\(shape.linesRead) lines read, "
            + "\(shape.filteredOut) left out by --path, \(shape.skippedTotal) skipped)"
        let kinds = AccessLogLine.Skip.allCases.compactMap { skip in
            shape.skipped[skip].map {
                "\($0) with \(skip.rawValue) (the first at \(shape.firstSkipped[skip].map { "\($0)" } ?? "?"))"
            }
        }
        if !kinds.isEmpty { text += ": " + kinds.joined(separator: "; ") }
        if shape.filteredOut > 0, let path { text += "; --path '\(path)' left out every request that was read" }
        return text
    }

    static func offsetText(_ offset: Int) -> String {
        let minutes = abs(offset) / 60
        return (offset < 0 ? "-" : "+") + String(format: "%02d:%02d", minutes / 60, minutes % 60)
    }

    private func derivation(_ shape: TrafficShape, zone: String) -> [String] {
        let date = { (day: Int) in String(format: "%04d-%02d-%02d", day / 10_000, day / 100 % 100, day % 100) }
        var lines = [
            "Derived by `stampede profile from-log "
                + accessLogs.map { ($0 as NSString).lastPathComponent }.joined(separator: " ")
                + (path.map { " --path '\($0)'" } ?? "") + "`.",
            "Lines read: \(shape.linesRead); counted: \(shape.counted); left out by --path: \(shape.filteredOut); "
                + "skipped: \(shape.skippedTotal).",
        ]
        for skip in AccessLogLine.Skip.allCases {
            guard let count = shape.skipped[skip] else { continue }
            lines.append(
                "  skipped, \(skip.rawValue): \(count) (the first at \(shape.firstSkipped[skip].map { "\($0)" } ?? "?"))"
            )
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
