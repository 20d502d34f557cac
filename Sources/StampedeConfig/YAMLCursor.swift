import Foundation
import StampedeCore
import Yams

/// Collects problems while a document is read, so that all of them are reported at once.
final class ProblemLog {
    let file: String
    var found: [ConfigProblem] = []
    /// Where the document says requests go, for the address guard.
    var addresses: [ConfigAddress] = []
    /// In document order.
    var problems: [ConfigProblem] { found.sorted { ($0.line, $0.column) < ($1.line, $1.column) } }
    /// Nodes visited; aliases can make a small document enormous, so reading stops past a limit.
    var visits = 0
    static let maxVisits = 200_000

    init(file: String) {
        self.file = file
    }

    func report(_ message: String, at mark: Mark?, path: String) {
        found.append(
            ConfigProblem(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path, message: message))
    }
}

/// A position in a YAML document being read: the node there (nil when the key is absent), its YAML path, and
/// where to point when it is wrong. Every accessor reports what it expected when the node does not fit.
struct YAMLCursor {
    let node: Node?
    let path: String
    /// The node's own mark, or its parent's when the node is absent.
    let mark: Mark?
    let log: ProblemLog
    let depth: Int

    static func document(_ node: Node?, log: ProblemLog) -> YAMLCursor {
        YAMLCursor(node: node, path: "", mark: node?.mark, log: log, depth: 0)
    }

    /// False when the node is absent or a YAML null (`~`, `null`, or nothing after the colon).
    var isPresent: Bool {
        guard let node else { return false }
        if case .scalar(let scalar) = node, Self.isNull(scalar) { return false }
        return true
    }

    static func isNull(_ scalar: Node.Scalar) -> Bool {
        (scalar.style == .plain || scalar.style == .any) && ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    func report(_ message: String) {
        log.report(message, at: mark, path: path)
    }

    /// A problem `offset` characters into this node's text (after an opening quote).
    func report(_ message: String, offset: Int) {
        var quoted = false
        if case .scalar(let scalar)? = node { quoted = scalar.style == .singleQuoted || scalar.style == .doubleQuoted }
        log.found.append(
            ConfigProblem(
                file: log.file, line: mark?.line ?? 1, column: (mark?.column ?? 1) + offset + (quoted ? 1 : 0),
                path: path, message: message))
    }

    /// Notes that this node says where requests go.
    func address(_ value: ConfigAddress.Value) {
        log.addresses.append(
            ConfigAddress(value: value, file: log.file, line: mark?.line ?? 1, column: mark?.column ?? 1, path: path))
    }

    func child(_ node: Node?, key: String, mark fallback: Mark?) -> YAMLCursor {
        YAMLCursor(
            node: node, path: path.isEmpty ? key : "\(path).\(key)", mark: node?.mark ?? fallback, log: log,
            depth: depth + 1)
    }

    /// The entries of a mapping, keyed by name. Unknown keys and repeated keys are reported; a missing required
    /// key is reported by whoever asks for it with ``require(_:)``.
    func mapping(keys allowed: [String]) -> Fields? {
        guard guardDepth(), let node = isPresent ? node : nil else { return nil }
        guard case .mapping(let mapping) = node else {
            report("expected a mapping with the fields \(allowed.joined(separator: ", ")), found \(describe(node))")
            return nil
        }
        var fields: [String: YAMLCursor] = [:]
        for (keyNode, value) in entries(of: mapping) {
            log.visits += 1
            guard case .scalar(let key) = keyNode else {
                log.report("expected a field name, found \(describe(keyNode))", at: keyNode.mark, path: path)
                continue
            }
            let name = key.string
            // An extension field, as in Compose files: a place for anchors that other fields merge.
            if name.hasPrefix("x-") { continue }
            guard allowed.contains(name) else {
                log.report(
                    "unknown field \"\(name)\"; expected one of: \(allowed.joined(separator: ", "))", at: keyNode.mark,
                    path: path.isEmpty ? name : "\(path).\(name)")
                continue
            }
            guard fields[name] == nil else {
                log.report(
                    "the field \"\(name)\" appears twice", at: keyNode.mark,
                    path: path.isEmpty ? name : "\(path).\(name)")
                continue
            }
            fields[name] = child(value, key: name, mark: keyNode.mark)
        }
        return Fields(owner: self, fields: fields)
    }

    /// A mapping's entries with YAML's merge keys applied (`<<: *defaults`, or a list of such): its own keys, then
    /// each merged mapping's keys it does not have, the earlier merged mapping first. A merge of anything but a
    /// mapping is reported.
    func entries(of mapping: Node.Mapping) -> [(key: Node, value: Node)] {
        Self.merged(mapping) { node in
            log.report("expected a mapping to merge (<<: *name), found \(describe(node))", at: node.mark, path: path)
        }
    }

    static func merged(
        _ mapping: Node.Mapping, notMergeable: (Node) -> Void = { _ in }
    ) -> [(key: Node, value: Node)] {
        var own: [(key: Node, value: Node)] = []
        var merged: [(key: Node, value: Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key, scalar.string == "<<", scalar.style == .plain || scalar.style == .any
            else {
                own.append((key, value))
                continue
            }
            let sources: [Node]
            if case .sequence(let sequence) = value { sources = Array(sequence) } else { sources = [value] }
            for source in sources {
                guard case .mapping(let inner) = source else {
                    notMergeable(source)
                    continue
                }
                merged += Self.merged(inner, notMergeable: notMergeable)
            }
        }
        var seen = Set(own.compactMap { $0.key.scalar?.string })
        for entry in merged {
            guard let key = entry.key.scalar?.string else { continue }
            if seen.insert(key).inserted { own.append(entry) }
        }
        return own
    }

    /// The `name` of the mapping here, when it has one as text; nothing is reported (its reader does that).
    var name: String? {
        guard case .mapping(let mapping)? = node else { return nil }
        for (key, value) in Self.merged(mapping) {
            if case .scalar(let key) = key, key.string == "name", case .scalar(let scalar) = value {
                return scalar.string
            }
        }
        return nil
    }

    /// Reports each of `entries` (mappings with a `name`) that an earlier one names too, read or not, at the later
    /// one; `message` says it for a name. False when one was reported.
    static func namesAreUnique(_ entries: [YAMLCursor], _ message: (String) -> String) -> Bool {
        var seen: Set<String> = []
        var unique = true
        for entry in entries {
            guard let name = entry.name, !seen.insert(name).inserted else { continue }
            entry.report(message(name))
            unique = false
        }
        return unique
    }

    /// The entries of a mapping whose keys are free names (such as data lists), in document order.
    func namedEntries() -> [(name: String, value: YAMLCursor)]? {
        guard guardDepth(), let node = isPresent ? node : nil else { return nil }
        guard case .mapping(let mapping) = node else {
            report("expected a mapping of names to values, found \(describe(node))")
            return nil
        }
        var entries: [(String, YAMLCursor)] = []
        for (keyNode, value) in self.entries(of: mapping) {
            log.visits += 1
            guard case .scalar(let key) = keyNode, !key.string.isEmpty else {
                log.report("expected a name, found \(describe(keyNode))", at: keyNode.mark, path: path)
                continue
            }
            if entries.contains(where: { $0.0 == key.string }) {
                log.report("the name \"\(key.string)\" appears twice", at: keyNode.mark, path: "\(path).\(key.string)")
                continue
            }
            entries.append((key.string, child(value, key: key.string, mark: keyNode.mark)))
        }
        return entries
    }

    func list(nonEmpty: Bool = false) -> [YAMLCursor]? {
        guard guardDepth(), let node = isPresent ? node : nil else { return nil }
        guard case .sequence(let sequence) = node else {
            report("expected a list, found \(describe(node))")
            return nil
        }
        if nonEmpty && sequence.isEmpty {
            report("expected at least one entry, found an empty list")
            return nil
        }
        return sequence.enumerated().map { index, element in
            log.visits += 1
            return YAMLCursor(
                node: element, path: "\(path)[\(index)]", mark: element.mark ?? mark, log: log,
                depth: depth + 1)
        }
    }

    /// A scalar as text (numbers and booleans too, as written).
    func scalarText() -> String? {
        guard let node = isPresent ? node : nil else { return nil }
        guard case .scalar(let scalar) = node else { return nil }
        return scalar.string
    }

    func string(nonEmpty: Bool = true) -> String? {
        guard isPresent else { return nil }
        guard let text = scalarText() else {
            report("expected text, found \(describe(node!))")
            return nil
        }
        if nonEmpty && text.trimmingCharacters(in: .whitespaces).isEmpty {
            report("expected some text, found an empty value")
            return nil
        }
        return text
    }

    /// A number, with bounds; `expectation` names the range in messages ("a number ≥ 0").
    func number(
        _ range: ClosedRange<Double> = -Double.greatestFiniteMagnitude...Double.greatestFiniteMagnitude,
        expectation: String = "a number"
    ) -> Double? {
        guard isPresent else { return nil }
        guard let node, case .scalar(let scalar) = node, scalar.style == .plain || scalar.style == .any,
            let value = Double(scalar.string.replacingOccurrences(of: "_", with: "")), value.isFinite
        else {
            report("expected \(expectation), found \(describe(node!))")
            return nil
        }
        guard range.contains(value) else {
            report("expected \(expectation), found \(scalarText() ?? "")")
            return nil
        }
        return value
    }

    /// Text naming one of `T`'s cases (its raw value); "expected a, b or c, found …" when it names none.
    func choice<T: RawRepresentable & CaseIterable>(_: T.Type) -> T? where T.RawValue == String {
        guard let text = string() else { return nil }
        if let chosen = T(rawValue: text) { return chosen }
        report("expected \(Self.alternatives(T.allCases.map(\.rawValue))), found \"\(text)\"")
        return nil
    }

    /// "a, b or c".
    static func alternatives(_ names: [String]) -> String {
        names.count < 2 ? names.joined() : names.dropLast().joined(separator: ", ") + " or " + names.last!
    }

    func boolean() -> Bool? {
        guard isPresent else { return nil }
        switch scalarText() {
        case "true", "True", "TRUE", "yes": return true
        case "false", "False", "FALSE", "no": return false
        default:
            report("expected true or false, found \(describe(node!))")
            return nil
        }
    }

    func integer(_ range: ClosedRange<Int>, expectation: String) -> Int? {
        guard let value = number(Double(range.lowerBound)...Double(range.upperBound), expectation: expectation) else {
            return nil
        }
        guard value == value.rounded() else {
            report("expected \(expectation), found \(scalarText() ?? "")")
            return nil
        }
        return Int(value)
    }

    /// A duration ("90s", "250ms", "5m", "1.5h", "1h30m"; a bare number is seconds), in seconds.
    /// A duration of at most a week (`Plan.durations`' bound on a run): a stage, a think time or a crowd's
    /// window longer than any run is a typo (`within: 1000000h`).
    func duration(allowZero: Bool = false) -> Double? {
        guard isPresent else { return nil }
        let expectation = "a duration such as 90s, 250ms, 5m or 1.5h\(allowZero ? "" : " above zero"), at most 7d"
        guard let text = scalarText(), let seconds = Units.seconds(text), allowZero ? seconds >= 0 : seconds > 0,
            seconds <= Plan.durations.upperBound
        else {
            report("expected \(expectation), found \(describe(node!))")
            return nil
        }
        return seconds
    }

    func bool() -> Bool? {
        guard isPresent else { return nil }
        switch scalarText()?.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            report("expected true or false, found \(describe(node!))")
            return nil
        }
    }

    private func guardDepth() -> Bool {
        guard depth < 48, log.visits < ProblemLog.maxVisits else {
            if log.visits < ProblemLog.maxVisits + 1 {
                report(depth >= 48 ? "the document nests deeper than 48 levels" : "the document is too large to read")
                log.visits = ProblemLog.maxVisits + 1
            }
            return false
        }
        return true
    }

    /// How a node looks in a message: `"high"` for text, `a list`, `a mapping`.
    func describe(_ node: Node) -> String {
        switch node {
        case .scalar(let scalar):
            if Self.isNull(scalar) { return "nothing" }
            let text = scalar.string.count > 40 ? String(scalar.string.prefix(40)) + "…" : scalar.string
            return "\"\(text)\""
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        }
    }
}

/// The fields of a mapping being read.
struct Fields {
    let owner: YAMLCursor
    let fields: [String: YAMLCursor]

    subscript(_ name: String) -> YAMLCursor {
        fields[name] ?? owner.child(nil, key: name, mark: owner.mark)
    }

    /// The field, reporting it as missing when absent.
    func require(_ name: String, expectation: String) -> YAMLCursor? {
        let field = self[name]
        guard field.isPresent else {
            field.report("a required field is missing; expected \(expectation)")
            return nil
        }
        return field
    }
}
