/// A JSONPath into a JSON document: `$.order.id`, `items[0].sku`, `$.results[?(@.upc=='FLASH-1')].url`,
/// `$.lines[*].id`, `$..id`, `$.results.length`.
///
/// ```
/// path      := ["$"] segment*
/// segment   := "." key | "." "*" | ".." (key | "*") | "[" selector "]" | ".length" (at the end)
/// selector  := N (-N from the end) | "*" | 'key' | "key" | "?(" filter ")"
/// filter    := test (("&&" | "||") test)*          && binds tighter
/// test      := "@" relative [op literal]              without op: the member exists and is not null/false
/// op        := == | != | < | <= | > | >=
/// literal   := 'text' | "text" | number | true | false | null
/// ```
public struct ValuePath: Codable, Sendable, Equatable, CustomStringConvertible {
    public indirect enum Component: Codable, Sendable, Equatable {
        case key(String)
        /// An index; negative counts from the end.
        case index(Int)
        /// Every member of an object or element of an array.
        case wildcard
        /// Every value below, at any depth, with this key (or every value, for nil).
        case descendant(String?)
        /// The elements (or members) for which the filter holds.
        case filter(Filter)
        /// The number of elements (or members, or characters of a string).
        case length
    }

    /// `?(…)` in a selector.
    public indirect enum Filter: Codable, Sendable, Equatable {
        case exists([Component])
        case compare([Component], Comparison, JSONValueLiteral)
        case and(Filter, Filter)
        case or(Filter, Filter)
    }

    /// A literal in a filter.
    public enum JSONValueLiteral: Codable, Sendable, Equatable {
        case string(String)
        case number(Double)
        case bool(Bool)
        case null
    }

    public let components: [Component]
    public let source: String

    public init(parsing source: String) throws(TemplateError) {
        var parser = Parser(text: Array(source.trimmingWhitespace().unicodeScalars), source: source)
        components = try parser.path()
        self.source = source
    }

    public var description: String { source }

    /// True when the path can only ever select one value (keys and indices): an extraction of it is that value.
    public var isSingular: Bool {
        components.allSatisfy {
            switch $0 {
            case .key, .index, .length: true
            default: false
            }
        }
    }

    /// Every value the path selects in a document, in document order.
    public func values(in document: JSONValue) -> [JSONValue] {
        Self.select(components[...], from: [document])
    }

    /// The first value selected, as text (strings unescaped, numbers as written, true/false); nil when the body is
    /// not JSON, or the path selects nothing, or null, an object or an array.
    public func extract(fromJSON body: some Collection<UInt8>) -> String? {
        JSONValue(parsing: Array(body)).flatMap { values(in: $0).first?.scalarText }
    }

    static func select(_ components: ArraySlice<Component>, from values: [JSONValue]) -> [JSONValue] {
        guard let component = components.first else { return values }
        var next: [JSONValue] = []
        for value in values {
            switch component {
            case .key(let key):
                if let member = value[key] { next.append(member) }
            case .index(let index):
                if case .array(let elements) = value {
                    let position = index < 0 ? elements.count + index : index
                    if elements.indices.contains(position) { next.append(elements[position]) }
                }
            case .wildcard:
                next += value.children
            case .descendant(let key):
                value.descend { child, name in
                    if key == nil || name == key { next.append(child) }
                }
            case .filter(let filter):
                next += value.children.filter { filter.holds(on: $0) }
            case .length:
                switch value {
                case .array(let elements): next.append(.number(String(elements.count)))
                case .object(let members): next.append(.number(String(members.count)))
                case .string(let text): next.append(.number(String(text.count)))
                default: break
                }
            }
        }
        return select(components.dropFirst(), from: next)
    }

    private struct Parser {
        let text: [Unicode.Scalar]
        let source: String
        var position = 0

        var atEnd: Bool { position >= text.count }
        var current: Unicode.Scalar? { atEnd ? nil : text[position] }

        func fail(_ message: String) -> TemplateError {
            TemplateError(message: "\(message) in the path \"\(source)\" (at character \(position + 1))")
        }

        mutating func skipSpaces() {
            while current == " " { position += 1 }
        }

        mutating func take(_ literal: String) -> Bool {
            let scalars = Array(literal.unicodeScalars)
            guard position + scalars.count <= text.count, Array(text[position..<position + scalars.count]) == scalars
            else { return false }
            position += scalars.count
            return true
        }

        mutating func path() throws(TemplateError) -> [Component] {
            if current == "$" { position += 1 }
            var components: [Component] = []
            // A bare first key ("id", "items[0]") needs no dot.
            if let first = current, first != "." && first != "[" {
                components.append(.key(try key()))
            }
            components += try segments(stopAt: [])
            guard !components.isEmpty else { throw fail("expected a path such as $.id") }
            if let lengthAt = components.firstIndex(of: .length), lengthAt != components.count - 1 {
                throw fail("length comes last")
            }
            return components
        }

        /// Segments until the end or one of `stop` (inside a filter).
        mutating func segments(stopAt stop: Set<Unicode.Scalar>) throws(TemplateError) -> [Component] {
            var components: [Component] = []
            while let character = current, !stop.contains(character), character != " " {
                if take("..") {
                    if take("*") {
                        components.append(.descendant(nil))
                    } else {
                        components.append(.descendant(try key()))
                    }
                } else if take(".") {
                    if take("*") {
                        components.append(.wildcard)
                    } else {
                        let name = try key()
                        let isCall = take("()")
                        components.append(
                            name == "length" && (isCall || atEnd || stop.contains(current!)) ? .length : .key(name))
                    }
                } else if take("[") {
                    components.append(try selector())
                } else {
                    throw fail("expected .key, [N], [*] or [?(…)], found \"\(character)\"")
                }
            }
            return components
        }

        mutating func key() throws(TemplateError) -> String {
            var name = ""
            while let character = current, character != ".", character != "[", character != " ", character != ")",
                character != "=", character != "!", character != "<", character != ">", character != "&",
                character != "|"
            {
                name.unicodeScalars.append(character)
                position += 1
            }
            guard !name.isEmpty else { throw fail("expected a key") }
            return name
        }

        mutating func selector() throws(TemplateError) -> Component {
            skipSpaces()
            let component: Component
            if take("*") {
                component = .wildcard
            } else if current == "'" || current == "\"" {
                component = .key(try quoted())
            } else if take("?(") {
                let filter = try orFilter()
                skipSpaces()
                guard take(")") else { throw fail("expected ) to close the filter") }
                component = .filter(filter)
            } else {
                var digits = ""
                if take("-") { digits = "-" }
                while let character = current, ("0"..."9").contains(character) {
                    digits.unicodeScalars.append(character)
                    position += 1
                }
                guard let index = Int(digits) else { throw fail("expected [N], [*], ['key'] or [?(…)]") }
                component = .index(index)
            }
            skipSpaces()
            guard take("]") else { throw fail("expected ]") }
            return component
        }

        mutating func quoted() throws(TemplateError) -> String {
            let quote = current!
            position += 1
            var value = ""
            while let character = current, character != quote {
                if character == "\\", position + 1 < text.count {
                    position += 1
                }
                value.unicodeScalars.append(text[position])
                position += 1
            }
            guard take(String(quote)) else { throw fail("a quoted text is not closed") }
            return value
        }

        mutating func orFilter() throws(TemplateError) -> Filter {
            var filter = try andFilter()
            while true {
                skipSpaces()
                guard take("||") else { return filter }
                filter = .or(filter, try andFilter())
            }
        }

        mutating func andFilter() throws(TemplateError) -> Filter {
            var filter = try test()
            while true {
                skipSpaces()
                guard take("&&") else { return filter }
                filter = .and(filter, try test())
            }
        }

        mutating func test() throws(TemplateError) -> Filter {
            skipSpaces()
            guard take("@") else { throw fail("expected @ (the element) in the filter") }
            let relative = try segments(stopAt: [")", " ", "=", "!", "<", ">", "&", "|"])
            skipSpaces()
            guard let comparison = Comparison.allCases.first(where: { take($0.rawValue) }) else {
                return .exists(relative)
            }
            skipSpaces()
            return .compare(relative, comparison, try literal())
        }

        mutating func literal() throws(TemplateError) -> JSONValueLiteral {
            if current == "'" || current == "\"" { return .string(try quoted()) }
            if take("true") { return .bool(true) }
            if take("false") { return .bool(false) }
            if take("null") { return .null }
            var number = ""
            while let character = current, ("0"..."9").contains(character) || "-+.eE".unicodeScalars.contains(character)
            {
                number.unicodeScalars.append(character)
                position += 1
            }
            guard let value = Double(number) else {
                throw fail("expected a text in quotes, a number, true, false or null")
            }
            return .number(value)
        }
    }
}

extension ValuePath.Filter {
    func holds(on element: JSONValue) -> Bool {
        switch self {
        case .exists(let relative):
            return ValuePath.select(relative[...], from: [element]).contains { value in
                value != .null && value != .bool(false)
            }
        case .compare(let relative, let comparison, let literal):
            return ValuePath.select(relative[...], from: [element]).contains { value in
                Self.compare(value, comparison, literal)
            }
        case .and(let left, let right): return left.holds(on: element) && right.holds(on: element)
        case .or(let left, let right): return left.holds(on: element) || right.holds(on: element)
        }
    }

    static func compare(
        _ value: JSONValue, _ comparison: Comparison, _ literal: ValuePath.JSONValueLiteral
    ) -> Bool {
        switch (value, literal) {
        case (.number(let text), .number(let bound)):
            guard let number = Double(text) else { return false }
            return comparison.holds(number, bound)
        case (.string(let text), .string(let bound)):
            return comparison.holds(text, bound)
        case (.string(let text), .number(let bound)):
            // Prices and quantities often come as strings ("1.00").
            guard let number = Double(text) else { return comparison == .notEqual }
            return comparison.holds(number, bound)
        case (.number(let text), .string(let bound)):
            // A quoted number in the filter (a placeholder's value, written in quotes) against a number.
            guard let number = Double(text), let value = Double(bound) else { return comparison == .notEqual }
            return comparison.holds(number, value)
        case (.bool(let flag), .bool(let bound)):
            return comparison == .equal ? flag == bound : comparison == .notEqual ? flag != bound : false
        case (.null, .null):
            return comparison == .equal
        default:
            return comparison == .notEqual
        }
    }
}

extension JSONValue {
    /// The members of an object or the elements of an array.
    var children: [JSONValue] {
        switch self {
        case .array(let elements): elements
        case .object(let members): members.map(\.1)
        default: []
        }
    }

    /// Calls `visit` for every value below this one (not itself), with the key it is under (nil in arrays), in
    /// document order.
    func descend(_ visit: (JSONValue, String?) -> Void) {
        switch self {
        case .array(let elements):
            for element in elements {
                visit(element, nil)
                element.descend(visit)
            }
        case .object(let members):
            for (key, member) in members {
                visit(member, key)
                member.descend(visit)
            }
        default:
            break
        }
    }
}
