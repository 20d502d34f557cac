import Foundation
import Yams

/// Reading a YAML file into a node tree, turning every failure into located problems.
enum ConfigDocument {
    /// Files larger than this are refused: a profile or scenario is a page of text, not a data dump.
    static let maxBytes = 1 << 20

    static func read(path: String) -> (text: String?, problem: ConfigProblem?) {
        let problem = { (message: String) in
            ConfigProblem(file: path, line: 1, column: 1, path: "", message: message)
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            var isDirectory: ObjCBool = false
            let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            return (
                nil,
                problem(
                    exists
                        ? (isDirectory.boolValue
                            ? "expected a file, found a directory"
                            : "the file cannot be read") : "no such file")
            )
        }
        guard data.count <= maxBytes else {
            return (nil, problem("expected a file of at most \(maxBytes / 1024) KiB, found \(data.count / 1024) KiB"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return (nil, problem("expected UTF-8 text, found bytes that are not"))
        }
        return (text, nil)
    }

    /// Reads a file and turns it into a value with `read`, or throws every problem found.
    static func load<Value>(path: String, what: String, read: (YAMLCursor) -> Value?) throws(ConfigError) -> Value {
        try loadWithAddresses(path: path, what: what, read: read).value
    }

    /// The same, with the addresses the document names.
    static func loadWithAddresses<Value>(
        path: String, what: String, read: (YAMLCursor) -> Value?
    ) throws(ConfigError) -> (value: Value, addresses: [ConfigAddress]) {
        let (text, problem) = Self.read(path: path)
        guard let text else { throw ConfigError(problems: [problem!]) }
        return try parseWithAddresses(text, file: path, what: what, read: read)
    }

    static func parse<Value>(
        _ text: String, file: String, what: String, read: (YAMLCursor) -> Value?
    )
        throws(ConfigError) -> Value
    {
        try parseWithAddresses(text, file: file, what: what, read: read).value
    }

    static func parseWithAddresses<Value>(
        _ text: String, file: String, what: String, read: (YAMLCursor) -> Value?
    ) throws(ConfigError) -> (value: Value, addresses: [ConfigAddress]) {
        let log = ProblemLog(file: file)
        let root = compose(text, log: log)
        let value = log.problems.isEmpty ? read(.document(root, log: log)) : nil
        guard let value, log.problems.isEmpty else {
            throw ConfigError(
                problems: log.problems.isEmpty
                    ? [
                        ConfigProblem(file: file, line: 1, column: 1, path: "", message: "expected \(what)")
                    ] : log.problems)
        }
        return (value, log.addresses)
    }

    /// Composes the document; parse errors are logged with their position.
    static func compose(_ text: String, log: ProblemLog) -> Node? {
        guard text.utf8.count <= maxBytes else {
            log.report("expected at most \(maxBytes / 1024) KiB of YAML", at: nil, path: "")
            return nil
        }
        if text.utf8.contains(0) {
            log.report("expected text, found a NUL byte", at: nil, path: "")
            return nil
        }
        do {
            return try Yams.compose(yaml: text)
        } catch let error as YamlError {
            let (message, mark) = describe(error)
            log.report(message, at: mark, path: "")
        } catch {
            log.report("the YAML cannot be read: \(error)", at: nil, path: "")
        }
        return nil
    }

    private static func describe(_ error: YamlError) -> (String, Mark?) {
        func sentence(_ context: YamlError.Context?, _ problem: String) -> String {
            let context = context.map { " (\($0.text) at \($0.mark.line):\($0.mark.column))" } ?? ""
            return "the YAML is malformed: \(problem)\(context)"
        }
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return (sentence(context, problem), mark)
        case .reader(let problem, _, _, _):
            return ("the YAML cannot be read: \(problem)", nil)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let keys = duplicates.map { "\"\($0)\"" }.joined(separator: ", ")
            return (
                "\(duplicates.count == 1 ? "the key" : "the keys") \(keys) appear\(duplicates.count == 1 ? "s" : "") "
                    + "twice in one mapping", context.mark
            )
        default:
            return ("the YAML cannot be read: \(error)", nil)
        }
    }
}
