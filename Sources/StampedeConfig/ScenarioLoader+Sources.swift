import Foundation
import StampedeCore

/// Reading where a scenario's requests may go (`origins:`) and where its test data comes from (`feeders:`).
extension ScenarioLoader {
    /// `origins: [http://static.shop.test:8081, https://pay.shop.test]`: with the target's, the origins absolute URLs
    /// may go to. Each is an address for the guard. Entries that are not origins are reported (and left out).
    static func readOrigins(_ cursor: YAMLCursor, target: String?) -> [Origin] {
        var origins: [Origin] = target.flatMap(Origin.init(url:)).map { [$0] } ?? []
        guard cursor.isPresent, let entries = cursor.list() else { return origins }
        for entry in entries {
            guard let text = entry.string() else { continue }
            guard let origin = Origin(exactly: text) else {
                entry.report("expected an origin such as http://static.shop.test:8081 (no path), found \"\(text)\"")
                continue
            }
            entry.address(.url(text))
            if !origins.contains(origin) { origins.append(origin) }
        }
        return origins
    }

    /// Feeder files are data, not configuration: larger than a scenario may be.
    static let maxFeederBytes = 64 << 20

    /// `feeders: {users: {file: data/users.csv, pick: unique}}`: CSV with a header, or JSON lines (`.jsonl`,
    /// `.ndjson`), read relative to the scenario. `unread`: the feeders with a good name whose entry or file has a
    /// problem (reported there), so that their fields are not reported again as unknown variables wherever a step
    /// uses them.
    static func readFeeders(_ cursor: YAMLCursor, data: [DataList], unread: inout [String]) -> [Feeder]? {
        guard cursor.isPresent else { return [] }
        guard let entries = cursor.namedEntries() else { return nil }
        var feeders: [Feeder] = []
        var complete = true
        for (name, value) in entries {
            if Scenario.builtinVariables.contains(name) || data.contains(where: { $0.name == name }) {
                value.report("\"\(name)\" is already a variable (a built-in or a data list); choose another name")
                complete = false
                continue
            }
            guard name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                value.report("expected a feeder name of letters, digits, _ or -, found \"\(name)\"")
                complete = false
                continue
            }
            if let feeder = readFeeder(name, value, relativeTo: cursor) {
                feeders.append(feeder)
            } else {
                complete = false
                unread.append(name)
            }
        }
        return complete ? feeders : nil
    }

    /// One feeder's entry, `{file: …, pick: …}`, and its file.
    private static func readFeeder(_ name: String, _ value: YAMLCursor, relativeTo cursor: YAMLCursor) -> Feeder? {
        guard let fields = value.mapping(keys: ["file", "pick"]),
            let file = fields.require("file", expectation: "a CSV or JSON-lines file, such as data/users.csv")?
                .string()
        else { return nil }
        var pick = Feeder.Pick.sequential
        if fields["pick"].isPresent {
            guard let chosen = fields["pick"].choice(Feeder.Pick.self) else { return nil }
            pick = chosen
        }
        let path = resolve(file, relativeTo: cursor)
        guard let contents = FileManager.default.contents(atPath: path) else {
            fields["file"].report("cannot read \(path): no such file, or not readable")
            return nil
        }
        guard contents.count <= maxFeederBytes else {
            fields["file"].report("\(path) is larger than \(maxFeederBytes >> 20) MiB")
            return nil
        }
        let text = String(decoding: contents, as: UTF8.self)
        do {
            let (columns, rows) =
                file.hasSuffix(".jsonl") || file.hasSuffix(".ndjson")
                ? try FeederFile.jsonLines(text) : try FeederFile.csv(text)
            return Feeder(name: name, columns: columns, rows: rows, pick: pick, file: file)
        } catch {
            fields["file"].report("\(file), \(error.description)")
            return nil
        }
    }
}
