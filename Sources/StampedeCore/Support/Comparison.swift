/// One of the six orderings a threshold, a selector's filter or a step's `if:` can ask for.
///
/// The cases are listed longest spelling first, so a parser that tries `allCases` in order reads `<=` before `<`.
public enum Comparison: String, Codable, Sendable, CaseIterable {
    case lessOrEqual = "<="
    case greaterOrEqual = ">="
    case equal = "=="
    case notEqual = "!="
    case less = "<"
    case greater = ">"

    /// Whether `a` stands in this relation to `b`.
    public func holds<T: Comparable>(_ a: T, _ b: T) -> Bool {
        switch self {
        case .equal: a == b
        case .notEqual: a != b
        case .less: a < b
        case .lessOrEqual: a <= b
        case .greater: a > b
        case .greaterOrEqual: a >= b
        }
    }

    /// Two texts compared as numbers when both read as numbers, otherwise as text.
    public func holds(numericallyIfPossible a: String, _ b: String) -> Bool {
        if let x = Double(a), let y = Double(b) { return holds(x, y) }
        return holds(a, b)
    }
}
