import Foundation

/// Text with `{{name}}` placeholders, parsed once and rendered per request. A placeholder may carry filters:
/// `{{qty|int}}` (a number in JSON), `{{payment_url|path}}` (percent-encode only what a path cannot hold),
/// `{{token|raw}}`, `{{items|length}}`. `\{{` is a literal `{{` (as in Handlebars); backslashes right before `{{`
/// halve, so `\\{{x}}` is a backslash and x's value. Any other backslash is text.
public struct Template: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Part: Codable, Sendable, Equatable {
        case literal(String)
        case variable(String, filters: [Filter])
    }

    /// What a placeholder does to its value before it is written.
    public enum Filter: String, Codable, Sendable, Equatable, CaseIterable {
        /// A whole number (a JSON number in a JSON body).
        case int
        /// A number.
        case float
        /// true or false (from true/false, 1/0, yes/no).
        case bool
        /// Text, even in a JSON body (a number taken from a response is written as a number otherwise).
        case string
        /// The number of items of a list (or characters of a text).
        case length
        case first
        case last
        /// The value as JSON text (a list as `[…]`, a text in quotes).
        case json
        /// Percent-encode everything but unreserved characters (the default inside a URL).
        case segment
        /// Percent-encode only what a URL path cannot hold (`/` stays).
        case path
        /// Write the value as it is.
        case raw

        /// The escaping this filter asks for, instead of the place's.
        var escaping: Escaping? {
            switch self {
            case .segment: .segment
            case .path: .path
            case .raw: Escaping.none
            default: nil
            }
        }
    }

    /// How substituted values are escaped.
    public enum Escaping: Sendable, Equatable {
        case none
        /// Percent-encodes everything but unreserved characters (for path segments and query values).
        case segment
        /// Percent-encodes only what a URL path and query cannot hold: spaces, quotes, non-ASCII, `#`.
        case path
        /// Escapes for the inside of a JSON string.
        case json
    }

    /// What went wrong while rendering: a variable without a value, or a value a filter cannot convert.
    public enum Problem: Error, Sendable, Equatable, CustomStringConvertible {
        case missing(String)
        case invalid(variable: String, filter: Filter, value: String)

        public var description: String {
            switch self {
            case .missing(let name): "the variable \(name) has no value (no step before set it)"
            case .invalid(let name, let filter, let value):
                "the value \"\(value)\" of \(name) is not \(filter.rawValue)"
            }
        }
    }

    public let parts: [Part]
    public let source: String

    /// Parses a template; throws a message naming the problem when a placeholder is not closed, empty, or names an
    /// unknown filter.
    public init(parsing source: String) throws(TemplateError) {
        var parts: [Part] = []
        var literal = ""
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            var before = rest[..<open.lowerBound]
            let backslashes = before.reversed().prefix { $0 == "\\" }.count
            before.removeLast(backslashes - backslashes / 2)
            literal += before
            if backslashes % 2 == 1 {
                literal += "{{"
                rest = rest[open.upperBound...]
                continue
            }
            if !literal.isEmpty { parts.append(.literal(literal)) }
            literal = ""
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                throw TemplateError(message: "a placeholder opened with {{ is not closed with }}")
            }
            let pieces = afterOpen[..<close.lowerBound].split(separator: "|", omittingEmptySubsequences: false)
            let name = pieces[0].trimmingWhitespace()
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" })
            else {
                throw TemplateError(message: "expected a variable name inside {{ }}, found \"\(name)\"")
            }
            var filters: [Filter] = []
            for piece in pieces.dropFirst() {
                let filterName = String(piece.trimmingWhitespace())
                guard let filter = Filter(rawValue: filterName) else {
                    throw TemplateError(
                        message: "unknown filter \"\(filterName)\" on {{\(name)}}; filters: "
                            + Filter.allCases.map(\.rawValue).joined(separator: ", "))
                }
                filters.append(filter)
            }
            parts.append(.variable(String(name), filters: filters))
            rest = afterOpen[close.upperBound...]
        }
        literal += rest
        if !literal.isEmpty { parts.append(.literal(literal)) }
        self.parts = parts
        self.source = source
    }

    /// `text` written as a template that renders as `text` itself: each `{{` escaped, and the backslashes before
    /// it doubled (what a recording writes into a scenario). `beforePlaceholder`: a placeholder follows the text,
    /// so backslashes at its end are doubled too.
    public static func escaping(_ text: String, beforePlaceholder: Bool = false) -> String {
        guard text.contains("{{") || (beforePlaceholder && text.hasSuffix("\\")) else { return text }
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "{{") {
            let before = rest[..<open.lowerBound]
            let backslashes = before.reversed().prefix { $0 == "\\" }.count
            out += before + String(repeating: "\\", count: backslashes + 1) + "{{"
            rest = rest[open.upperBound...]
        }
        out += rest
        if beforePlaceholder {
            out += String(repeating: "\\", count: rest.reversed().prefix { $0 == "\\" }.count)
        }
        return out
    }

    public init(literal: String) {
        self.parts = literal.isEmpty ? [] : [.literal(literal)]
        self.source = literal
    }

    public var description: String { source }

    /// The names of the variables the template uses.
    public var variables: [String] {
        parts.compactMap { if case .variable(let name, _) = $0 { name } else { nil } }
    }

    public var isConstant: Bool { variables.isEmpty }

    /// The one placeholder that is the whole template (`"{{qty|int}}"`), if so.
    public var solePlaceholder: (name: String, filters: [Filter])? {
        guard parts.count == 1, case .variable(let name, let filters) = parts[0] else { return nil }
        return (name, filters)
    }

    /// True when the template starts with a placeholder (`{{payment_url}}`, `{{base}}/x`): a URL from a response.
    public var startsWithPlaceholder: Bool {
        if case .variable? = parts.first { true } else { false }
    }

    /// Renders the template; `lookup` gives each variable's value. A variable without a value renders as nothing and
    /// is reported. `leading` is the escaping of a placeholder that starts the template (a URL handed out by a
    /// response keeps its slashes). `literals` is the escaping of the template's own text: `.json` inside a JSON
    /// string (a quote or a line break in it was sent as it was, and the body was not JSON).
    public func render(
        escaping: Escaping = .none, leading: Escaping? = nil, literals: Escaping = .none,
        _ lookup: (String) -> VariableValue?
    ) -> (text: String, problem: Problem?) {
        var text = ""
        var problem: Problem? = nil
        for (index, part) in parts.enumerated() {
            switch part {
            case .literal(let literal) where literals == .none || !Self.needsEscaping(literal, literals):
                text += literal
            case .literal(let literal): Self.append(literal, escaping: literals, to: &text)
            case .variable(let name, let filters):
                switch Self.value(name, filters: filters, lookup) {
                case .success(let value):
                    let place = index == 0 ? (leading ?? escaping) : escaping
                    Self.append(value.text, escaping: filters.lazy.compactMap(\.escaping).last ?? place, to: &text)
                case .failure(let failure):
                    problem = problem ?? failure
                }
            }
        }
        return (text, problem)
    }

    /// Renders with text values (`lookup` of plain strings).
    public func render(
        escaping: Escaping = .none, text lookup: (String) -> String?
    ) -> (text: String, problem: Problem?) {
        render(escaping: escaping) { name in lookup(name).map(VariableValue.text) }
    }

    /// A variable's value after its filters.
    public static func value(
        _ name: String, filters: [Filter], _ lookup: (String) -> VariableValue?
    ) -> Result<VariableValue, Problem> {
        guard var value = lookup(name) else { return .failure(.missing(name)) }
        for filter in filters {
            let invalid = Problem.invalid(variable: name, filter: filter, value: value.text)
            switch filter {
            case .int:
                let text = value.text.trimmingWhitespace()
                if let whole = Int(text) {
                    value = .number(String(whole))
                } else if let number = Double(text), number.isFinite, number == number.rounded() {
                    value = .number(String(Int(number)))
                } else {
                    return .failure(invalid)
                }
            case .float:
                let text = String(value.text.trimmingWhitespace())
                guard let number = Double(text), number.isFinite else { return .failure(invalid) }
                value = .number(JSONValue(parsing: Array(text.utf8)) != nil ? text : String(number))
            case .bool:
                switch value.text.lowercased() {
                case "true", "1", "yes", "on": value = .bool(true)
                case "false", "0", "no", "off", "": value = .bool(false)
                default: return .failure(invalid)
                }
            case .string:
                value = .text(value.text)
            case .length:
                if case .list(let items) = value {
                    value = .number(String(items.count))
                } else {
                    value = .number(String(value.text.count))
                }
            case .first, .last:
                if case .list(let items) = value {
                    guard let item = filter == .first ? items.first : items.last else {
                        return .failure(.missing(name))
                    }
                    value = item
                }
            case .json:
                value = .text(value.json)
            case .segment, .path, .raw:
                break
            }
        }
        return .success(value)
    }

    /// Whether `append` would change `text` (one pass over its bytes, no allocation).
    static func needsEscaping(_ text: String, _ escaping: Escaping) -> Bool {
        switch escaping {
        case .none: false
        case .json: text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        case .segment, .path: text.utf8.contains { !isUnreserved($0) && !(escaping == .path && isPathCharacter($0)) }
        }
    }

    public static func append(_ value: String, escaping: Escaping, to text: inout String) {
        switch escaping {
        case .none:
            text += value
        case .segment, .path:
            for byte in value.utf8 {
                if isUnreserved(byte) || (escaping == .path && isPathCharacter(byte)) {
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                } else {
                    text +=
                        "%" + String(byte >> 4, radix: 16, uppercase: true)
                        + String(byte & 0xF, radix: 16, uppercase: true)
                }
            }
        case .json:
            for scalar in value.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case _ where scalar.value < 0x20:
                    let hex = String(scalar.value, radix: 16)
                    text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                default: text.unicodeScalars.append(scalar)
                }
            }
        }
    }

    static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    /// What a URL's path and query hold as they are (RFC 3986 pchar, `/`, `?`, and `%` of an existing escape).
    static func isPathCharacter(_ byte: UInt8) -> Bool {
        "/?:@!$&'()*+,;=%".utf8.contains(byte)
    }
}

public struct TemplateError: Error, Sendable, Equatable {
    public var message: String
    public init(message: String) { self.message = message }
}
