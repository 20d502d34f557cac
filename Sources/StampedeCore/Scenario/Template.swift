import Foundation

/// Text with `{{name}}` placeholders, parsed once and rendered per request.
public struct Template: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Part: Codable, Sendable, Equatable {
        case literal(String)
        case variable(String)
    }

    /// How substituted values are escaped.
    public enum Escaping: Sendable {
        case none
        /// Percent-encodes everything but unreserved characters (for path segments and query values).
        case url
        /// Escapes for the inside of a JSON string.
        case json
    }

    public let parts: [Part]
    public let source: String

    /// Parses a template; throws a message naming the problem when a placeholder is not closed or empty.
    public init(parsing source: String) throws(TemplateError) {
        var parts: [Part] = []
        var rest = Substring(source)
        while let open = rest.range(of: "{{") {
            if open.lowerBound > rest.startIndex { parts.append(.literal(String(rest[..<open.lowerBound]))) }
            let afterOpen = rest[open.upperBound...]
            guard let close = afterOpen.range(of: "}}") else {
                throw TemplateError(message: "a placeholder opened with {{ is not closed with }}")
            }
            let name = afterOpen[..<close.lowerBound].trimmingWhitespace()
            guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." || $0 == "-" })
            else {
                throw TemplateError(message: "expected a variable name inside {{ }}, found \"\(name)\"")
            }
            parts.append(.variable(String(name)))
            rest = afterOpen[close.upperBound...]
        }
        if !rest.isEmpty { parts.append(.literal(String(rest))) }
        self.parts = parts
        self.source = source
    }

    public init(literal: String) {
        self.parts = literal.isEmpty ? [] : [.literal(literal)]
        self.source = literal
    }

    public var description: String { source }

    /// The names of the variables the template uses.
    public var variables: [String] {
        parts.compactMap { if case .variable(let name) = $0 { name } else { nil } }
    }

    public var isConstant: Bool { variables.isEmpty }

    /// Renders the template; `lookup` gives each variable's value (nil renders as empty and is reported).
    public func render(escaping: Escaping = .none, _ lookup: (String) -> String?) -> (text: String, missing: String?) {
        var text = ""
        var missing: String? = nil
        for part in parts {
            switch part {
            case .literal(let literal): text += literal
            case .variable(let name):
                guard let value = lookup(name) else {
                    missing = missing ?? name
                    continue
                }
                Self.append(value, escaping: escaping, to: &text)
            }
        }
        return (text, missing)
    }

    public static func append(_ value: String, escaping: Escaping, to text: inout String) {
        switch escaping {
        case .none:
            text += value
        case .url:
            for byte in value.utf8 {
                switch byte {
                case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                    UInt8(ascii: "~"):
                    text.unicodeScalars.append(Unicode.Scalar(byte))
                default:
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
}

public struct TemplateError: Error, Sendable, Equatable {
    public var message: String
}
