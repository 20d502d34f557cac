/// A step's `if:`: when it does not hold, the shopper skips the step and goes on with the next.
///
/// ```
/// condition := clause (("and" | "or") clause)*          and binds tighter than or
/// clause    := ["not"] operand [op operand]             an operand alone: it has a value, not empty, not false/0
/// operand   := {{variable|filters}} | status | 'text' | "text" | number | true | false
/// op        := == | != | < | <= | > | >= | contains
/// ```
/// `status` is the status of the shopper's last response. Two operands that both read as numbers compare as
/// numbers, otherwise as text.
public indirect enum StepCondition: Codable, Sendable, Equatable {
    case truthy(Operand)
    case compare(Operand, Comparison, Operand)
    case contains(Operand, Operand)
    case not(StepCondition)
    case and(StepCondition, StepCondition)
    case or(StepCondition, StepCondition)

    public enum Operand: Codable, Sendable, Equatable {
        case variable(String, filters: [Template.Filter])
        case status
        case literal(String)
    }

    /// The variables the condition reads.
    public var variables: [String] {
        switch self {
        case .truthy(let operand): operand.variables
        case .compare(let left, _, let right), .contains(let left, let right): left.variables + right.variables
        case .not(let inner): inner.variables
        case .and(let left, let right), .or(let left, let right): left.variables + right.variables
        }
    }

    public func holds(status: Int?, _ lookup: (String) -> VariableValue?) -> Bool {
        switch self {
        case .truthy(let operand):
            guard let value = operand.value(status: status, lookup) else { return false }
            if case .list(let items) = value { return !items.isEmpty }
            return !["", "false", "0"].contains(value.text)
        case .compare(let left, let comparison, let right):
            guard let a = left.value(status: status, lookup)?.text, let b = right.value(status: status, lookup)?.text
            else { return comparison == .notEqual }
            return comparison.holds(numericallyIfPossible: a, b)
        case .contains(let whole, let part):
            guard let a = whole.value(status: status, lookup)?.text, let b = part.value(status: status, lookup)?.text
            else { return false }
            return a.contains(b)
        case .not(let inner): return !inner.holds(status: status, lookup)
        case .and(let left, let right): return left.holds(status: status, lookup) && right.holds(status: status, lookup)
        case .or(let left, let right): return left.holds(status: status, lookup) || right.holds(status: status, lookup)
        }
    }

    /// Parses a condition; the error's offset is the 0-based character where the problem was found.
    public init(parsing text: String) throws(ConditionError) {
        var parser = Parser(text: Array(text.unicodeScalars))
        let condition = try parser.disjunction()
        parser.skipSpaces()
        guard parser.atEnd else { throw parser.fail("expected and, or, or the end of the condition") }
        self = condition
    }

    public struct ConditionError: Error, Sendable, Equatable {
        public var message: String
        public var offset: Int
    }

    private struct Parser {
        let text: [Unicode.Scalar]
        var position = 0

        var atEnd: Bool { position >= text.count }

        func fail(_ message: String) -> ConditionError { ConditionError(message: message, offset: position) }

        mutating func skipSpaces() {
            while !atEnd, text[position] == " " { position += 1 }
        }

        mutating func take(_ word: String, wholeWord: Bool = false) -> Bool {
            skipSpaces()
            let scalars = Array(word.unicodeScalars)
            guard position + scalars.count <= text.count, Array(text[position..<position + scalars.count]) == scalars
            else { return false }
            if wholeWord, position + scalars.count < text.count,
                text[position + scalars.count].properties.isAlphabetic
            {
                return false
            }
            position += scalars.count
            return true
        }

        mutating func disjunction() throws(ConditionError) -> StepCondition {
            var condition = try conjunction()
            while take("or", wholeWord: true) { condition = .or(condition, try conjunction()) }
            return condition
        }

        mutating func conjunction() throws(ConditionError) -> StepCondition {
            var condition = try clause()
            while take("and", wholeWord: true) { condition = .and(condition, try clause()) }
            return condition
        }

        mutating func clause() throws(ConditionError) -> StepCondition {
            if take("not", wholeWord: true) { return .not(try clause()) }
            let left = try operand()
            for comparison in Comparison.allCases where take(comparison.rawValue) {
                return .compare(left, comparison, try operand())
            }
            if take("contains", wholeWord: true) { return .contains(left, try operand()) }
            return .truthy(left)
        }

        mutating func operand() throws(ConditionError) -> Operand {
            skipSpaces()
            guard !atEnd else { throw fail("expected {{variable}}, status, a number or a text in quotes") }
            if take("{{") {
                let start = position
                while !atEnd, !(text[position] == "}" && position + 1 < text.count && text[position + 1] == "}") {
                    position += 1
                }
                guard !atEnd else { throw fail("a placeholder opened with {{ is not closed with }}") }
                let inside = "{{" + String(String.UnicodeScalarView(text[start..<position])) + "}}"
                position += 2
                do {
                    guard let (name, filters) = try Template(parsing: inside).solePlaceholder else {
                        throw fail("expected one variable inside {{ }}")
                    }
                    return .variable(name, filters: filters)
                } catch let error as TemplateError {
                    throw ConditionError(message: error.message, offset: start)
                } catch {
                    throw error as! ConditionError
                }
            }
            if take("status", wholeWord: true) { return .status }
            if text[position] == "'" || text[position] == "\"" {
                let quote = text[position]
                position += 1
                let start = position
                while !atEnd, text[position] != quote { position += 1 }
                guard !atEnd else {
                    position = start - 1
                    throw fail("a quoted text is not closed")
                }
                let value = String(String.UnicodeScalarView(text[start..<position]))
                position += 1
                return .literal(value)
            }
            let start = position
            while !atEnd, text[position] != " " { position += 1 }
            let word = String(String.UnicodeScalarView(text[start..<position]))
            guard Double(word) != nil || word == "true" || word == "false" else {
                position = start
                throw fail("expected {{variable}}, status, a number or a text in quotes, found \"\(word)\"")
            }
            return .literal(word)
        }
    }
}

extension StepCondition.Operand {
    var variables: [String] {
        if case .variable(let name, _) = self { [name] } else { [] }
    }

    func value(status: Int?, _ lookup: (String) -> VariableValue?) -> VariableValue? {
        switch self {
        case .variable(let name, let filters): try? Template.value(name, filters: filters, lookup).get()
        case .status: status.map { .number(String($0)) }
        case .literal(let text): .text(text)
        }
    }
}
