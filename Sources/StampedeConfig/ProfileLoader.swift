import Foundation
public import StampedeCore
import Yams

/// Reads profiles (`profiles/*.yaml`), reporting every problem at once.
public enum ProfileLoader {
    public static func load(path: String) throws(ConfigError) -> Profile {
        try ConfigDocument.load(path: path, what: "a profile", read: read)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Profile {
        try ConfigDocument.parse(text, file: file, what: "a profile", read: read)
    }

    static let fields = ["name", "title", "source", "timezone", "hours", "stages", "spikes", "bursts", "notes"]

    static func read(_ root: YAMLCursor) -> Profile? {
        guard root.isPresent else {
            root.report("expected a profile (a mapping with name, timezone and hours or stages), found an empty file")
            return nil
        }
        guard let fields = root.mapping(keys: Self.fields) else { return nil }
        let name = fields.require("name", expectation: "a short name such as double11")?.string()
        if let name, !ShortName.isValid(name) {
            fields["name"].report("expected \(ShortName.rule), found \"\(name)\"")
        }
        let title = fields["title"].string() ?? ""
        let source = fields["source"].string()
        _ = fields["notes"].string()
        var timeZone = "UTC"
        if fields["timezone"].isPresent, let zone = fields["timezone"].string() {
            if TimeZone(identifier: zone) == nil {
                fields["timezone"].report("expected an IANA time zone such as Asia/Shanghai, found \"\(zone)\"")
            }
            timeZone = zone
        }
        let shape: Profile.Shape?
        switch (fields["hours"].isPresent, fields["stages"].isPresent) {
        case (true, false): shape = readHours(fields["hours"]).map(Profile.Shape.hourly)
        case (false, true): shape = readStages(fields["stages"]).map(Profile.Shape.stages)
        case (true, true):
            fields["stages"].report("expected either hours or stages, found both")
            shape = nil
        case (false, false):
            root.report("a profile needs hours (a day of hourly weights) or stages (ramps); found neither")
            shape = nil
        }
        let length = shape.map { Profile(name: "", shape: $0).length }
        let spikes = readSpikes(fields["spikes"], length: length)
        let bursts = readBursts(fields["bursts"], length: length)
        guard let name, let shape, let spikes, let bursts else { return nil }
        let levels: [Double]
        switch shape {
        case .hourly(let weights): levels = weights
        case .stages(let stages): levels = stages.flatMap { [$0.from ?? 0, $0.to] }
        }
        if !levels.contains(where: { $0 > 0 }) && bursts.isEmpty {
            fields[fields["hours"].isPresent ? "hours" : "stages"].report(
                "every level is 0 and there are no bursts: nobody would come (a burst-only profile needs bursts)")
            return nil
        }
        return Profile(
            name: name, title: title, source: source, timeZone: timeZone, shape: shape, spikes: spikes, bursts: bursts)
    }

    static func readHours(_ cursor: YAMLCursor) -> [Double]? {
        guard let entries = cursor.list(nonEmpty: true) else { return nil }
        var weights: [Int: Double] = [:]
        // Where each hour was written, for an hour the day does not have.
        var places: [Int: YAMLCursor] = [:]
        var complete = true
        for (index, entry) in entries.enumerated() {
            var hour: Int? = index
            let weight: Double?
            if entry.node?.scalar != nil {
                weight = entry.number(0...Double.greatestFiniteMagnitude, expectation: "a number ≥ 0")
            } else if let fields = entry.mapping(keys: ["hour", "weight", "note"]) {
                if fields["hour"].isPresent {
                    hour = readHour(fields["hour"])
                    if let hour { places[hour] = fields["hour"] }
                }
                weight = fields.require("weight", expectation: "a number ≥ 0")?
                    .number(0...Double.greatestFiniteMagnitude, expectation: "a number ≥ 0")
                _ = fields["note"].string(nonEmpty: false)
            } else {
                weight = nil
            }
            guard let hour, let weight else {
                complete = false
                continue
            }
            if weights[hour] != nil {
                entry.report("hour \(hour) appears twice")
                complete = false
            }
            weights[hour] = weight
        }
        guard complete else { return nil }
        let count = entries.count
        guard count % 24 == 0 else {
            cursor.report("expected 24 hours per day (24, 48, …), found \(count) entries")
            return nil
        }
        let beyond = places.keys.filter { $0 >= count }.sorted()
        for hour in beyond {
            places[hour]?.report(
                "hour \(hour) is beyond this profile's \(count) entries, which are hours 0 to \(count - 1)")
        }
        guard beyond.isEmpty else { return nil }
        let missing = (0..<count).filter { weights[$0] == nil }
        guard missing.isEmpty else {
            cursor.report(
                "expected every hour from 0 to \(count - 1) once; missing: "
                    + missing.prefix(8).map(String.init).joined(separator: ", "))
            return nil
        }
        return (0..<count).map { weights[$0]! }
    }

    /// An hour as a number (0–167) or as a clock time on the hour ("10:00", "d2 10:00").
    static func readHour(_ cursor: YAMLCursor) -> Int? {
        let expectation = "an hour such as 10 or \"10:00\""
        if let text = cursor.scalarText(), text.contains(":") {
            guard let seconds = ProfileClock.parse(text), seconds.truncatingRemainder(dividingBy: 3600) == 0 else {
                cursor.report("expected \(expectation), found \"\(text)\"")
                return nil
            }
            return Int(seconds / 3600)
        }
        return cursor.integer(0...167, expectation: expectation)
    }

    static func readStages(_ cursor: YAMLCursor) -> [Stage]? {
        guard let entries = cursor.list(nonEmpty: true) else { return nil }
        var stages: [Stage] = []
        var complete = true
        for entry in entries {
            guard let fields = entry.mapping(keys: ["label", "duration", "from", "to"]) else {
                complete = false
                continue
            }
            let label = fields["label"].string()
            let duration = fields.require("duration", expectation: "a duration such as 30s")?.duration()
            let from = fields["from"].number(0...1e12, expectation: "a level ≥ 0")
            let to = fields.require("to", expectation: "a level ≥ 0 (1 = the busiest)")?
                .number(0...1e12, expectation: "a level ≥ 0")
            guard let duration, let to, fields["from"].isPresent == (from != nil) else {
                complete = false
                continue
            }
            stages.append(Stage(label: label, duration: duration, from: from, to: to))
        }
        guard complete else { return nil }
        return stages
    }

    /// `bursts: [{at: "10:00", crowd: 2000, within: 1s, flow: flash-buyer, sku: FLASH-1, stock: 100, label: …}]`
    static func readBursts(_ cursor: YAMLCursor, length: Double?) -> [Burst]? {
        guard cursor.isPresent else { return [] }
        guard let entries = cursor.list() else { return nil }
        var bursts: [Burst] = []
        var complete = true
        for entry in entries {
            guard let fields = entry.mapping(keys: ["at", "crowd", "within", "flow", "sku", "stock", "label"]) else {
                complete = false
                continue
            }
            var at: Double? = nil
            if let atField = fields.require("at", expectation: "a clock time such as \"10:00\"") {
                if let text = atField.scalarText(), let seconds = ProfileClock.parse(text) {
                    at = seconds
                    if let length, seconds >= length {
                        atField.report("expected a time inside the profile (before \(ProfileClock.endLabel(length)))")
                        at = nil
                    }
                } else {
                    atField.report("expected a clock time such as \"10:00\" or \"00:00:02\"")
                }
            }
            let crowd = fields.require("crowd", expectation: "the number of shoppers, such as 2000")?
                .integer(1...5_000_000, expectation: "a crowd of 1 to 5,000,000 shoppers")
            var within: Double? = 0
            if fields["within"].isPresent {
                if fields["within"].scalarText() == "all at once" {
                    within = 0
                } else {
                    within = fields["within"].duration(allowZero: true)
                }
            }
            let flow = fields.require("flow", expectation: "the scenario flow the crowd follows")?.string()
            let sku = fields.require("sku", expectation: "the SKU on sale")?.string()
            let stock = fields.require("stock", expectation: "the units on sale")?
                .integer(0...1_000_000_000, expectation: "a stock of 0 or more units")
            let label = fields["label"].string()
            guard let at, let crowd, let within, let flow, let sku, let stock else {
                complete = false
                continue
            }
            bursts.append(
                Burst(
                    label: label ?? "flash sale at \(ProfileClock.instant(at))", at: at, crowd: crowd, within: within,
                    flow: flow,
                    sku: sku, stock: stock))
        }
        return complete ? bursts : nil
    }

    static func readSpikes(_ cursor: YAMLCursor, length: Double?) -> [Spike]? {
        guard cursor.isPresent else { return [] }
        guard let entries = cursor.list() else { return nil }
        var spikes: [(Spike, YAMLCursor)] = []
        var complete = true
        for entry in entries {
            guard let fields = entry.mapping(keys: ["at", "lasting", "level", "label"]) else {
                complete = false
                continue
            }
            var start: Double? = nil
            if let atField = fields.require("at", expectation: "a clock time such as \"10:00\"") {
                if let text = atField.scalarText(), let seconds = ProfileClock.parse(text) {
                    start = seconds
                } else {
                    atField.report(
                        "expected a clock time such as \"10:00\" or \"d2 10:00\", found \(atField.describe(atField.node!))"
                    )
                }
            }
            let lasting = fields.require("lasting", expectation: "a duration of profile time such as 5m")?.duration()
            let level = fields.require("level", expectation: "a multiple of the busiest hour's rate, such as 3")?
                .number(Double.leastNonzeroMagnitude...1e6, expectation: "a number above 0")
            let label = fields["label"].string()
            guard let start, let lasting, let level else {
                complete = false
                continue
            }
            if let length, start + lasting > length + 1e-9 {
                entry.report(
                    "expected the spike to end by the end of the profile (\(ProfileClock.label(length))), "
                        + "found it ending at \(ProfileClock.label(start + lasting))")
                complete = false
            }
            spikes.append(
                (
                    Spike(
                        label: label ?? "spike at \(ProfileClock.instant(start))", start: start,
                        duration: lasting, level: level), entry
                ))
        }
        let sorted = spikes.sorted { $0.0.start < $1.0.start }
        for (earlier, later) in zip(sorted, sorted.dropFirst()) where later.0.start < earlier.0.end {
            later.1.report("expected spikes not to overlap; this one starts before \"\(earlier.0.label)\" ends")
            complete = false
        }
        return complete ? spikes.map(\.0) : nil
    }
}
