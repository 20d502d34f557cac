import Foundation

/// A value to take from a response into a variable for later steps: from the JSON body (a JSONPath), a regular
/// expression on the body, a response header, a cookie, an HTML form field or `meta` tag. One value, all of them,
/// or a random one; a default when there is none (otherwise the step fails with an `extract` error).
public struct Extraction: Codable, Sendable, Equatable {
    public enum Source: Codable, Sendable, Equatable, CustomStringConvertible {
        case json(ValuePath)
        /// A regular expression on the body; the value is this capture group (0: the whole match).
        case regex(pattern: String, group: Int)
        case header(String)
        case cookie(String)
        /// The `value` of the `<input>` (or `<textarea>`, or the selected `<option>`) with this `name`.
        case formField(String)
        /// The `content` of the `<meta>` with this `name` or `property`.
        case meta(String)

        public var description: String {
            switch self {
            case .json(let path): path.source
            case .regex(let pattern, let group): "regex \(pattern)" + (group == 1 ? "" : " group \(group)")
            case .header(let name): "header \(name)"
            case .cookie(let name): "cookie \(name)"
            case .formField(let name): "form field \(name)"
            case .meta(let name): "meta \(name)"
            }
        }
    }

    public enum Pick: String, Codable, Sendable, CaseIterable {
        case first, last, random, all
    }

    public var variable: String
    public var source: Source
    public var pick: Pick
    /// The value when the response has none (instead of failing the step).
    public var defaultValue: String?

    public init(variable: String, source: Source, pick: Pick = .first, defaultValue: String? = nil) {
        self.variable = variable
        self.source = source
        self.pick = pick
        self.defaultValue = defaultValue
    }

    /// A JSON value by path (`$.id`).
    public init(variable: String, path: ValuePath) {
        self.init(variable: variable, source: .json(path))
    }
}

/// What extraction reads from one response.
public struct ResponseView {
    public var status: Int
    /// Header names in lower case.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// The body parsed as JSON (nil when it is not JSON, or nobody asked).
    public var json: JSONValue?
    /// Cookies by name: those this response set, then the shopper's others.
    public var cookies: [(name: String, value: String)]

    public init(
        status: Int, headers: [(name: String, value: String)], body: [UInt8], parseJSON: Bool = true,
        cookies: [(name: String, value: String)] = []
    ) {
        self.status = status
        self.headers = headers
        self.body = body
        self.json = parseJSON ? JSONValue(parsing: body) : nil
        self.cookies = cookies
    }

    public func headers(named name: String) -> [String] {
        let lower = name.lowercased()
        return headers.filter { $0.name == lower }.map(\.value)
    }
}

/// An extraction ready to run: its regular expression compiled once.
public struct ExtractionRule: Sendable {
    public let extraction: Extraction
    private let regex: NSRegularExpression?
    /// A JSONPath with placeholders (`$.results[?(@.upc == '{{sku}}')].url`), rendered per shopper.
    private let pathTemplate: Template?

    public init(_ extraction: Extraction) throws(TemplateError) {
        self.extraction = extraction
        if case .json(let path) = extraction.source, path.source.contains("{{") {
            pathTemplate = try Template(parsing: path.source)
        } else {
            pathTemplate = nil
        }
        if case .regex(let pattern, let group) = extraction.source {
            let compiled: NSRegularExpression
            do {
                compiled = try NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
            } catch {
                throw TemplateError(message: "the regular expression \(pattern) does not compile")
            }
            guard group >= 0, group <= compiled.numberOfCaptureGroups else {
                throw TemplateError(
                    message: "the regular expression \(pattern) has \(compiled.numberOfCaptureGroups) group(s); "
                        + "group \(group) is not one of them")
            }
            regex = compiled
        } else {
            regex = nil
        }
    }

    /// The variables a JSONPath's placeholders use.
    public var variables: [String] { pathTemplate?.variables ?? [] }

    /// Every value the source finds in the response, in order; `lookup` fills a JSONPath's placeholders.
    public func values(
        in response: ResponseView, _ lookup: (String) -> VariableValue? = { _ in nil }
    ) -> [VariableValue] {
        switch extraction.source {
        case .json(var path):
            guard let document = response.json else { return [] }
            if let pathTemplate {
                // Each value goes into the path as the text of a quoted literal.
                let (text, problem) = pathTemplate.render(lookup)
                guard problem == nil, let rendered = try? ValuePath(parsing: text) else { return [] }
                path = rendered
            }
            return path.values(in: document).compactMap(VariableValue.init(json:))
        case .regex(_, let group):
            guard let regex else { return [] }
            let text = String(decoding: response.body, as: UTF8.self)
            let whole = NSRange(text.startIndex..., in: text)
            return regex.matches(in: text, range: whole).compactMap { match in
                Range(match.range(at: group), in: text).map { .text(String(text[$0])) }
            }
        case .header(let name):
            return response.headers(named: name).map(VariableValue.text)
        case .cookie(let name):
            return response.cookies.filter { $0.name == name }.prefix(1).map { .text($0.value) }
        case .formField(let name):
            return HTMLScanner.formValues(named: name, in: response.body).map(VariableValue.text)
        case .meta(let name):
            return HTMLScanner.metaContents(named: name, in: response.body).map(VariableValue.text)
        }
    }

    /// The variable's value from the response: one of the values found as `pick` says, or the default; nil when
    /// there is neither.
    public func value(
        in response: ResponseView, random: inout SeededRandom, _ lookup: (String) -> VariableValue? = { _ in nil }
    ) -> VariableValue? {
        let found = values(in: response, lookup)
        if found.isEmpty { return extraction.defaultValue.map(VariableValue.text) }
        switch extraction.pick {
        case .first: return found.first
        case .last: return found.last
        case .random: return found[Int(random.next() % UInt64(found.count))]
        case .all: return .list(found)
        }
    }
}
