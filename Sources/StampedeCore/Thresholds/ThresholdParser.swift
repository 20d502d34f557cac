/// Reads a threshold's text.
///
/// ```
/// threshold := metric comparison value ["abort" ["after" duration]]
/// metric    := ["unc:"] (pNN | pNN.N | max | mean) "(" selector [scope] ")"     latency, milliseconds
///            | error_rate "(" selector [scope] ")"                            a fraction ("1%")
///            | rate "(" (429 | 5xx | 4xx | label) ["," selector] [scope] ")"  a fraction
///            | dropped ["(" scope ")"] | arrivals | oversold | phantom | leaked
///            | double_charges | orphan_charges | uncharged_orders | failover_time
/// selector  := all | FLOW | FLOW/STEP
/// scope     := "@" (HH:MM | stage NAME | burst NAME | NAME)                  NAME may be "quoted"
/// value     := a duration (300ms, 1.5s) for latency and failover time, a percentage or a fraction for rates,
///              "99% of plan" for arrivals, a whole number for counts
/// ```
///
/// `abort` (or `abort after 10s`) stops the run when the threshold stays broken that long.
public enum ThresholdParser {
    /// A mistake in a threshold's text, with the 0-based offset of the character where it was found.
    public struct Problem: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { message }
    }

    public static func parse(_ text: String) throws(Problem) -> Threshold {
        var scanner = Scanner(text)
        let metric = try scanner.metric()
        let comparison = try scanner.comparison()
        scanner.skipSpaces()
        let valueStart = scanner.position
        let bound = try scanner.value(for: metric)
        let check = String(text.prefix(scanner.position)).trimmingWhitespace().description
        if let always = comparison.decided(over: metric.possibleValues, bound: bound) {
            let written = String(text.dropFirst(valueStart).prefix(scanner.position - valueStart))
            var why = metric.possibleValues.upperBound == 1 ? "a share is 0% to 100%" : "it is never below 0"
            if metric.possibleValues.upperBound == 1, bound > 1, !written.contains("%") {
                let percent = bound * 100
                why +=
                    " (\(written) reads as \(percent.rounded() == percent ? "\(Int(percent))" : "\(percent)")%; "
                    + "write \(written)%)"
            }
            throw Problem(
                offset: valueStart,
                message: "\(check) "
                    + (always ? "always holds, so it passes every run" : "can never hold, so it fails every run")
                    + ": \(why)")
        }
        var abort = false
        var delay = 0.0
        scanner.skipSpaces()
        if scanner.take(word: "abort") {
            abort = true
            scanner.skipSpaces()
            if scanner.take(word: "after") {
                scanner.skipSpaces()
                delay = try scanner.duration() / 1000
            }
        }
        scanner.skipSpaces()
        guard scanner.atEnd else {
            throw scanner.problem("unexpected \"\(scanner.rest)\" after the threshold")
        }
        if abort, metric.needsVerdict {
            throw Problem(
                offset: 0, message: "\(metric.name) is known only after the run; it cannot stop one (no abort)")
        }
        return Threshold(
            source: text.trimmingWhitespace().description, check: check, metric: metric, comparison: comparison,
            bound: bound, abortOnFail: abort, delay: delay)
    }

    private struct Scanner {
        let characters: [Character]
        var position = 0

        init(_ text: String) { characters = Array(text) }

        var atEnd: Bool { position >= characters.count }
        var rest: String { String(characters[min(position, characters.count)...]) }
        var peek: Character? { atEnd ? nil : characters[position] }

        func problem(_ message: String, at offset: Int? = nil) -> Problem {
            Problem(offset: offset ?? position, message: message)
        }

        mutating func skipSpaces() {
            while let next = peek, next.isWhitespace { position += 1 }
        }

        mutating func take(_ literal: String) -> Bool {
            let wanted = Array(literal)
            guard position + wanted.count <= characters.count,
                Array(characters[position..<position + wanted.count]) == wanted
            else { return false }
            position += wanted.count
            return true
        }

        /// A whole word (not the start of a longer name).
        mutating func take(word: String) -> Bool {
            let start = position
            guard take(word) else { return false }
            if let next = peek, next.isLetter || next.isNumber || next == "_" {
                position = start
                return false
            }
            return true
        }

        mutating func name() -> String {
            var name = ""
            while let next = peek, ShortName.allows(next) {
                name.append(next)
                position += 1
            }
            return name
        }

        mutating func expect(_ literal: String, _ what: String) throws(Problem) {
            skipSpaces()
            guard take(literal) else { throw problem("expected \(what), found \"\(rest)\"") }
        }

        mutating func metric() throws(Problem) -> Threshold.Metric {
            skipSpaces()
            let start = position
            let uncorrected = take("unc:")
            let word = name()
            switch word {
            case "error_rate":
                guard !uncorrected else { throw problem("unc: goes with a latency (p99, max, mean)", at: start) }
                try expect("(", "\"(\" after error_rate")
                let selector = try self.selector()
                let scope = try self.scope()
                try expect(")", "\")\"")
                return .errorRate(selector, scope)
            case "rate":
                try expect("(", "\"(\" after rate")
                skipSpaces()
                let label = name()
                guard !label.isEmpty else { throw problem("expected a status (429, 5xx, 4xx) or an error label") }
                skipSpaces()
                var selector = Threshold.Selector.all
                if take(",") { selector = try self.selector() }
                let scope = try self.scope()
                try expect(")", "\")\"")
                return .rate(label, selector, scope)
            case "dropped":
                skipSpaces()
                var scope = Threshold.Scope.run
                if take("(") {
                    scope = try self.scope()
                    try expect(")", "\")\"")
                }
                return .dropped(scope)
            case "arrivals": return .arrivals
            case "oversold": return .oversold
            case "phantom": return .phantom
            case "leaked": return .leaked
            case "double_charges": return .doubleCharges
            case "orphan_charges": return .orphanCharges
            case "uncharged_orders": return .unchargedOrders
            case "failover_time": return .failoverTime
            default:
                guard let statistic = Self.statistic(word) else {
                    throw problem(
                        "expected a figure such as p99(all), error_rate(all), rate(429), dropped, arrivals, oversold, "
                            + "phantom, leaked, double_charges, orphan_charges, uncharged_orders or failover_time, found \"\(word)\"",
                        at: start)
                }
                try expect("(", "\"(\" after \(word)")
                let selector = try self.selector()
                let scope = try self.scope()
                try expect(")", "\")\"")
                return .latency(statistic, uncorrected: uncorrected, selector, scope)
            }
        }

        static func statistic(_ word: String) -> Threshold.LatencyStatistic? {
            switch word {
            case "max": return .max
            case "mean": return .mean
            default:
                guard word.hasPrefix("p"), let value = Double(word.dropFirst()), value > 0, value < 100 else {
                    return nil
                }
                return .percentile(value)
            }
        }

        mutating func selector() throws(Problem) -> Threshold.Selector {
            skipSpaces()
            let flow = name()
            guard !flow.isEmpty else { throw problem("expected all, a flow or a flow/step") }
            if flow == "all" { return .all }
            guard take("/") else { return .flow(flow) }
            let step = name()
            guard !step.isEmpty else { throw problem("expected a step's name after \"\(flow)/\"") }
            return .step(flow: flow, step: step)
        }

        mutating func scope() throws(Problem) -> Threshold.Scope {
            skipSpaces()
            guard take("@") else { return .run }
            skipSpaces()
            if take(word: "stage") {
                return .period(try label())
            }
            if take(word: "burst") {
                return .burst(try label())
            }
            return .period(try label())
        }

        /// A label: "quoted text", or a word or a clock time.
        mutating func label() throws(Problem) -> String {
            skipSpaces()
            if take("\"") {
                var text = ""
                while let next = peek, next != "\"" {
                    text.append(next)
                    position += 1
                }
                guard take("\"") else { throw problem("expected a closing \"") }
                return text
            }
            var text = ""
            while let next = peek, next.isLetter || next.isNumber || ":_-.".contains(next) {
                text.append(next)
                position += 1
            }
            guard !text.isEmpty else { throw problem("expected a period (10:00, a stage's name) or a burst's label") }
            return text
        }

        mutating func comparison() throws(Problem) -> Comparison {
            skipSpaces()
            for candidate in Comparison.allCases where take(candidate.rawValue) { return candidate }
            throw problem("expected a comparison (<, <=, >, >=, ==, !=), found \"\(rest)\"")
        }

        mutating func number() throws(Problem) -> Double {
            skipSpaces()
            var text = ""
            while let next = peek, next.isNumber || next == "." || next == "_" || next == "," {
                if next != "_" && next != "," { text.append(next) }
                position += 1
            }
            guard let value = Double(text) else { throw problem("expected a number, found \"\(rest)\"") }
            return value
        }

        /// Milliseconds.
        mutating func duration() throws(Problem) -> Double {
            let start = position
            let value = try number()
            if take("ms") { return value }
            if take("us") || take("µs") { return value / 1000 }
            if take("s") { return value * 1000 }
            if take("m") { return value * 60_000 }
            throw problem("expected a duration such as 300ms or 1.5s", at: start)
        }

        mutating func fraction() throws(Problem) -> Double {
            let value = try number()
            return take("%") ? value / 100 : value
        }

        mutating func value(for metric: Threshold.Metric) throws(Problem) -> Double {
            skipSpaces()
            switch metric {
            case .latency: return try duration()
            case .failoverTime: return try duration() / 1000
            case .errorRate, .rate: return try fraction()
            case .arrivals:
                let value = try fraction()
                skipSpaces()
                if take(word: "of") {
                    skipSpaces()
                    guard take(word: "plan") else { throw problem("expected \"of plan\"") }
                }
                return value
            case .dropped, .oversold, .phantom, .leaked, .doubleCharges, .orphanCharges, .unchargedOrders:
                let start = position
                let value = try number()
                guard value == value.rounded() else { throw problem("expected a whole number", at: start) }
                return value
            }
        }
    }
}

extension Threshold.Metric {
    /// What the figure can be: a share of requests or shoppers from 0 to 1, or anything from 0 up.
    var possibleValues: ClosedRange<Double> {
        switch self {
        case .errorRate, .rate: 0...1
        default: 0...Double.infinity
        }
    }

    /// The metric's name as written.
    var name: String {
        switch self {
        case .latency: "latency"
        case .errorRate: "error_rate"
        case .rate: "rate"
        case .dropped: "dropped"
        case .arrivals: "arrivals"
        case .oversold: "oversold"
        case .phantom: "phantom"
        case .leaked: "leaked"
        case .doubleCharges: "double_charges"
        case .orphanCharges: "orphan_charges"
        case .unchargedOrders: "uncharged_orders"
        case .failoverTime: "failover_time"
        }
    }
}
