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

    /// Whether `a ⋄ bound` holds for every `a` in `range` (true), for none (false), or depends on `a` (nil): a
    /// threshold that is decided before the run measures nothing.
    public func decided(over range: ClosedRange<Double>, bound: Double) -> Bool? {
        let (low, high) = (range.lowerBound, range.upperBound)
        let (always, never): (Bool, Bool) =
            switch self {
            case .less: (high < bound, low >= bound)
            case .lessOrEqual: (high <= bound, low > bound)
            case .greater: (low > bound, high <= bound)
            case .greaterOrEqual: (low >= bound, high < bound)
            case .equal: (low == bound && high == bound, !range.contains(bound))
            case .notEqual: (!range.contains(bound), low == bound && high == bound)
            }
        return always ? true : never ? false : nil
    }

    /// Two texts compared as numbers when both read as numbers, otherwise as text.
    public func holds(numericallyIfPossible a: String, _ b: String) -> Bool {
        if let x = Double(a), let y = Double(b) { return holds(x, y) }
        return holds(a, b)
    }
}
