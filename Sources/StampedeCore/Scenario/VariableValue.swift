/// A shopper's variable: text (from data lists, feeders, headers, HTML, regular expressions), or a JSON number or
/// boolean taken from a response (which stays a number or a boolean in JSON bodies), or a list (`pick: all`).
public enum VariableValue: Sendable, Equatable {
    case text(String)
    /// A number as written.
    case number(String)
    case bool(Bool)
    case list([VariableValue])

    /// The value in a text context (a URL, a header, a form): lists are joined with commas.
    public var text: String {
        switch self {
        case .text(let text), .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .list(let items): items.map(\.text).joined(separator: ",")
        }
    }

    /// A value taken from a JSON document; nil for null. Objects are kept as their JSON text.
    public init?(json: JSONValue) {
        switch json {
        case .string(let text): self = .text(text)
        case .number(let text): self = .number(text)
        case .bool(let flag): self = .bool(flag)
        case .null: return nil
        case .array(let elements): self = .list(elements.compactMap(VariableValue.init(json:)))
        case .object: self = .text(json.serialized)
        }
    }

    /// The value as a JSON value of its own type.
    public var json: String {
        switch self {
        case .text(let text):
            var out = "\""
            Template.append(text, escaping: .json, to: &out)
            return out + "\""
        case .number(let text): return text
        case .bool(let flag): return flag ? "true" : "false"
        case .list(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
        }
    }
}

/// A shopper's variables by name.
public typealias Variables = [String: VariableValue]

extension JSONValue {
    /// The value written back as compact JSON.
    public var serialized: String {
        switch self {
        case .string(let text): VariableValue.text(text).json
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .null: "null"
        case .array(let elements): "[" + elements.map(\.serialized).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.map { VariableValue.text($0.0).json + ":" + $0.1.serialized }.joined(separator: ",") + "}"
        }
    }
}
