import Foundation
public import StampedeCore

/// A scenario drafted from a browser recording (`stampede scenario from-har`): one step per request a page made
/// (static assets dropped, redirects folded into the request that caused them, as a shopper follows them), think
/// times from the gaps, and every value that a response handed out and a later request sent back (CSRF tokens, ids,
/// URLs) turned into an extraction and a placeholder. Each guess is said where it was made.
public struct ScenarioDraft: Sendable {
    public var name: String
    public var target: Origin
    /// Other origins the recording sent requests to.
    public var origins: [Origin]
    public var steps: [Step]
    /// Requests the recording had, and how many were static assets or redirect hops.
    public var entries: Int
    public var assets: Int
    public var hops: Int
    /// Requests the browser's cache answered (they never reached the server), and requests with no answer
    /// recorded (status 0: aborted, blocked, or failed before one): left out.
    public var cached = 0
    public var unanswered = 0
    /// What needs a look, each naming its step.
    public var guesses: [String]

    public struct Step: Sendable {
        public var name: String
        public var method: String
        /// A path on the target, an absolute URL, or a placeholder.
        public var url: String
        public var headers: [(name: String, value: String)]
        public var body: Body?
        public var status: Int
        public var think: Double?
        public var extractions: [Extraction]
        /// Comments written above the step.
        public var notes: [String]
    }

    public enum Body: Sendable {
        case form([(name: String, value: String)])
        case json(JSONValue)
        case raw(String, contentType: String)
    }

    public struct Extraction: Sendable, Equatable {
        public var variable: String
        /// `form`, `meta`, `json`, `header`, `cookie` or `regex`.
        public var kind: String
        public var argument: String
        /// Why this is a guess, when it is one.
        public var guess: String?
    }
}

extension ScenarioDraft {
    /// Headers a browser adds on its own: left out of the draft (the shopper sends its own, cookies from its jar).
    static let browserHeaders: Set<String> = [
        "host", "connection", "content-length", "cookie", "user-agent", "accept", "accept-encoding", "accept-language",
        "cache-control", "pragma", "referer", "origin", "upgrade-insecure-requests", "dnt", "priority", "te",
        "content-type", "sec-purpose", "purpose", "if-none-match", "if-modified-since", "transfer-encoding",
        "keep-alive", "upgrade",
    ]

    static let assetTypes: Set<String> = ["stylesheet", "script", "image", "font", "media", "manifest", "texttrack"]
    static let assetExtensions: Set<String> = [
        "css", "js", "mjs", "map", "png", "jpg", "jpeg", "gif", "svg", "webp", "avif", "ico", "woff", "woff2", "ttf",
        "otf", "eot", "mp4", "webm", "mp3",
    ]

    /// Drafts a scenario from a recording. `target` is the shop's origin (default: the first page's).
    public static func from(_ har: HARFile, name: String, target: Origin? = nil) -> ScenarioDraft {
        var drafter = Drafter(har: har, name: name, target: target)
        return drafter.draft()
    }

    static func isAsset(_ entry: HARFile.Entry) -> Bool {
        if let type = entry.resourceType?.lowercased(), assetTypes.contains(type) { return true }
        let path = RequestURL(absolute: entry.request.url)?.path ?? entry.request.url
        if let dot = path.lastIndex(of: "."), !path[dot...].contains("/"),
            assetExtensions.contains(String(path[path.index(after: dot)...]).lowercased())
        {
            return true
        }
        let mime = entry.response.content.mimeType?.lowercased() ?? ""
        return mime.hasPrefix("image/") || mime.hasPrefix("font/") || mime.hasPrefix("text/css")
            || mime.contains("javascript")
    }
}

/// The drafting, one recording at a time.
private struct Drafter {
    let har: HARFile
    let name: String
    var target: Origin?

    /// A step of the recording: the request, and the hops its redirects made.
    struct Exchange {
        var entries: [HARFile.Entry]
        var first: HARFile.Entry { entries[0] }
        var last: HARFile.Entry { entries[entries.count - 1] }
    }

    var steps: [ScenarioDraft.Step] = []
    var guesses: [String] = []
    /// Values already bound to a variable (the same token sent again uses the same variable).
    var bound: [String: String] = [:]
    var variables: Set<String> = []

    init(har: HARFile, name: String, target: Origin?) {
        self.har = har
        self.name = name
        self.target = target
    }

    mutating func draft() -> ScenarioDraft {
        let all = har.log.entries.sorted { ($0.started ?? 0) < ($1.started ?? 0) }
        let cached = all.filter { $0.fromCache != nil }
        let unanswered = all.filter { $0.fromCache == nil && $0.response.status <= 0 }
        let sent = all.filter { $0.fromCache == nil && $0.response.status > 0 }
        let pages = sent.filter { !ScenarioDraft.isAsset($0) && RequestURL(absolute: $0.request.url) != nil }
        let firstStart = all.first?.started
        for entry in unanswered where !ScenarioDraft.isAsset(entry) {
            var when = ""
            if let start = entry.started, let firstStart {
                when = " at +\(ScenarioDraft.seconds(start - firstStart)) s"
            }
            guesses.append(
                "\(entry.request.method.uppercased()) \(entry.request.url)\(when) has no answer in the recording ("
                    + (entry.error ?? "status 0") + "), so it is left out: add it back if the shop did take it")
        }
        let target =
            self.target ?? pages.first.flatMap { RequestURL(absolute: $0.request.url)?.origin }
            ?? Origin(scheme: .http, host: "127.0.0.1", port: 8080)
        self.target = target
        let exchanges = Self.fold(pages)
        var origins: [Origin] = []
        var names: [String: Int] = [:]
        for (index, exchange) in exchanges.enumerated() {
            let url = RequestURL(absolute: exchange.first.request.url)!
            if url.origin != target, !origins.contains(url.origin) { origins.append(url.origin) }
            var stepName = Self.stepName(method: exchange.first.request.method, url: url)
            names[stepName, default: 0] += 1
            if names[stepName]! > 1 { stepName += "-\(names[stepName]!)" }
            steps.append(
                ScenarioDraft.Step(
                    name: stepName, method: exchange.first.request.method.uppercased(),
                    url: Template.escaping(url.origin == target ? url.target : url.description), headers: [],
                    body: nil,
                    status: exchange.last.response.status, think: nil, extractions: [], notes: []))
            correlate(index, exchanges: exchanges)
            if index > 0, let start = exchange.first.started, let previous = exchanges[index - 1].last.started {
                let gap = start - (previous + exchanges[index - 1].last.time / 1000)
                if gap >= 0.05 { steps[index - 1].think = (gap * 10).rounded() / 10 }
            }
        }
        return ScenarioDraft(
            name: name, target: target, origins: origins, steps: steps, entries: all.count,
            assets: sent.count - pages.count, hops: pages.count - exchanges.count, cached: cached.count,
            unanswered: unanswered.count, guesses: guesses)
    }

    /// Folds each redirect's follow-up request into the request that was redirected (the shopper follows it).
    static func fold(_ entries: [HARFile.Entry]) -> [Exchange] {
        var exchanges: [Exchange] = []
        for entry in entries {
            if var current = exchanges.last, [301, 302, 303, 307, 308].contains(current.last.response.status),
                let location = current.last.response.redirectURL.flatMap({ $0.isEmpty ? nil : $0 })
                    ?? current.last.response.header("location"),
                let from = RequestURL(absolute: current.last.request.url), let next = from.resolve(location),
                RequestURL(absolute: entry.request.url) == next
            {
                current.entries.append(entry)
                exchanges[exchanges.count - 1] = current
            } else {
                exchanges.append(Exchange(entries: [entry]))
            }
        }
        return exchanges
    }

    static func stepName(method: String, url: RequestURL) -> String {
        let words = url.path.split(separator: "/").map { segment in
            segment.allSatisfy(\.isNumber) || segment.count > 24 ? "id" : segment.lowercased()
        }
        let base = words.isEmpty ? "home" : words.suffix(3).joined(separator: "-")
        let cleaned = String(base.map { $0.isLetter || $0.isNumber ? $0 : "-" })
        return method.lowercased() + "-" + cleaned
    }

    /// Finds where each value of request `index` came from in an earlier response, extracts it there, and puts a
    /// placeholder in its place; fills in the step's URL, headers and body.
    mutating func correlate(_ index: Int, exchanges: [Exchange]) {
        let request = exchanges[index].first.request
        let url = RequestURL(absolute: request.url)!
        var step = steps[index]
        // The whole URL first, when it holds a value a response handed out (a payment URL with an order number):
        // taken from that response whole. A constant URL stays as it was recorded.
        let dynamic =
            url.path.split(separator: "/").contains { Self.looksDynamic(String($0)) } || url.target.contains("?")
        if index > 0, dynamic {
            for candidate in [request.url, url.target] {
                if let variable = bind(candidate, before: index, exchanges: exchanges, name: Self.urlName(url)) {
                    step.url = "{{\(variable)}}"
                    break
                }
            }
        }
        var values: [String] = []
        // A short id in the path (`/orders/ord-17/pay`) is taken only from where a response named it whole (a JSON
        // value, a form field, a header, a cookie): a guess around it in the text would find `v2` in any page.
        var wholeOnly: Set<String> = []
        if !step.url.hasPrefix("{{") {
            let segments = url.path.split(separator: "/").map(String.init)
            values += segments.filter(Self.looksDynamic)
            wholeOnly = Set(segments.filter { !Self.looksDynamic($0) && Self.mayBeAnID($0) })
            values += wholeOnly
            if let query = url.target.split(separator: "?", maxSplits: 1).dropFirst().first {
                values += query.split(separator: "&").compactMap { pair in
                    pair.split(separator: "=", maxSplits: 1).dropFirst().first.map {
                        String($0).removingPercentEncoding ?? String($0)
                    }
                }.filter { $0.count >= 2 }
            }
        }
        var headers: [(String, String)] = request.headers.filter { header in
            let lower = header.name.lowercased()
            return !ScenarioDraft.browserHeaders.contains(lower) && !lower.hasPrefix("sec-") && !lower.hasPrefix(":")
        }.map { ($0.name, Template.escaping($0.value)) }
        values += headers.map(\.1)
        let contentType =
            request.postData?.mimeType ?? request.headers.first { $0.name.lowercased() == "content-type" }?.value ?? ""
        var form: [(String, String)]? = nil
        var json: JSONValue? = nil
        var raw: String? = nil
        if let post = request.postData {
            let text = post.text ?? ""
            if contentType.hasPrefix("application/x-www-form-urlencoded") {
                // Firefox writes `params: []` beside the text of a form it did not parse: the text is the body.
                form =
                    (post.params.flatMap { $0.isEmpty ? nil : $0 }.map {
                        $0.map { ($0.name.removingPercentEncoding ?? $0.name, Self.formDecode($0.value)) }
                    }
                    ?? text.split(separator: "&").map { pair in
                        let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                        return (
                            Self.formDecode(String(parts[0])), parts.count > 1 ? Self.formDecode(String(parts[1])) : ""
                        )
                    }).map { ($0.0, Template.escaping($0.1)) }
                values += form!.map(\.1).filter { $0.count >= 2 }
            } else if contentType.contains("json"), let parsed = JSONValue(parsing: Array(text.utf8)) {
                json = Self.escaped(parsed)
                values += Self.scalars(parsed).filter { $0.count >= 2 }
            } else if !text.isEmpty {
                raw = Template.escaping(text)
            }
        }
        // Longest first, so that a whole token is replaced before any part of it could be. A value with `{{` in it
        // was escaped (the text it is in is a template now), and no response handed it out as written.
        for value in Set(values).sorted(by: { $0.count > $1.count }) where !value.contains("{{") {
            guard
                let variable = bind(
                    value, before: index, exchanges: exchanges, name: nil,
                    wholeOnly: wholeOnly.contains(value) && values.count(where: { $0 == value }) == 1)
            else { continue }
            let placeholder = "{{\(variable)}}"
            if !step.url.hasPrefix("{{") { step.url = Self.replace(value, with: placeholder, in: step.url) }
            headers = headers.map { ($0.0, Self.replace(value, with: placeholder, in: $0.1)) }
            form = form?.map { ($0.0, $0.1 == value ? placeholder : Self.replace(value, with: placeholder, in: $0.1)) }
            json = json.map { Self.replace(value, with: placeholder, in: $0) }
            raw = raw.map { Self.replace(value, with: placeholder, in: $0) }
        }
        for (field, value) in form ?? [] where !value.contains("{{") {
            let lower = field.lowercased()
            if ["user", "email", "login", "pass", "name", "phone", "card"].contains(where: lower.contains) {
                let note =
                    "\(step.name): \(field) was typed in the recording (\(lower.contains("pass") ? "a password" : "\"\(value)\"")): "
                    + "every shopper sends it; a feeder gives each its own"
                guesses.append(note)
                step.notes.append("guess: " + note)
            }
        }
        // An id in the path that no earlier response handed out: every shopper sends this one (another shopper's
        // order, the recording's basket).
        if !step.url.hasPrefix("{{") {
            let sent = Set(step.url.split(whereSeparator: { "/?&=".contains($0) }).map(String.init))
            let kept = url.path.split(separator: "/").map(String.init).filter {
                sent.contains($0) && (Self.looksDynamic($0) || (Self.mayBeAnID($0) && $0.count >= 3))
            }
            for segment in Set(kept).sorted() {
                let note =
                    "\(step.name): \(segment) in the path looks like an id, and no earlier response handed it out: "
                    + "every shopper sends this one (a data list gives each its own)"
                guesses.append(note)
                step.notes.append("guess: " + note)
            }
        }
        step.headers = headers
        if let form {
            step.body = .form(form)
        } else if let json {
            step.body = .json(json)
        } else if let raw {
            step.body = .raw(raw, contentType: contentType)
        }
        steps[index] = step
    }

    /// The variable holding `value`, extracting it from the latest earlier response that has it; nil when no
    /// response before step `index` handed it out.
    mutating func bind(
        _ value: String, before index: Int, exchanges: [Exchange], name: String?, wholeOnly: Bool = false
    ) -> String? {
        if let variable = bound[value] { return variable }
        for earlier in stride(from: index - 1, through: 0, by: -1) {
            let exchange = exchanges[earlier]
            guard let found = Self.source(of: value, in: exchange, wholeOnly: wholeOnly) else { continue }
            let variable = unique(name ?? found.name)
            var extraction = ScenarioDraft.Extraction(
                variable: variable, kind: found.kind, argument: found.argument, guess: found.guess)
            if let guess = found.guess {
                let note = "\(steps[earlier].name): \(variable) \(guess)"
                guesses.append(note)
                extraction.guess = guess
            }
            steps[earlier].extractions.append(extraction)
            bound[value] = variable
            return variable
        }
        return nil
    }

    /// A variable name for a URL: its last word that is not a number (`/checkout/payment/100001/` → `payment_url`).
    static func urlName(_ url: RequestURL) -> String {
        let words = url.path.split(separator: "/").filter { !looksDynamic(String($0)) && !$0.allSatisfy(\.isNumber) }
        return (words.last.map(String.init) ?? "next") + "_url"
    }

    mutating func unique(_ base: String) -> String {
        var name = String(base.map { $0.isLetter || $0.isNumber ? $0 : "_" }).trimming(["_"])
        if name.isEmpty || name.first!.isNumber { name = "value_" + name }
        var candidate = name
        var counter = 2
        while variables.contains(candidate) || Scenario.builtinVariables.contains(candidate) || candidate == "sku" {
            candidate = "\(name)_\(counter)"
            counter += 1
        }
        variables.insert(candidate)
        return candidate
    }

    /// Where a response handed out a value: a form field, a meta tag, a JSON value, a header, a cookie, or, as a
    /// guess (unless `wholeOnly`), a tag's attribute or a regular expression around it in the body.
    static func source(
        of value: String, in exchange: Exchange, wholeOnly: Bool = false
    ) -> (kind: String, argument: String, name: String, guess: String?)? {
        let response = exchange.last.response
        let body = Array(response.text.utf8)
        // A form field first (the CSRF token a form posts back), then a meta tag.
        var field: String? = nil
        var meta: String? = nil
        var attribute: (tag: String, name: String)? = nil
        HTMLScanner.scan(body) { tag, _ in
            if field == nil, tag.name == "input", tag["value"] == value, let name = tag["name"] { field = name }
            if meta == nil, tag.name == "meta", tag["content"] == value, let name = tag["name"] ?? tag["property"] {
                meta = name
            }
            if attribute == nil, let match = tag.attributes.first(where: { $0.value == value && $0.name != "value" }) {
                attribute = (tag.name, match.name)
            }
        }
        if let field { return ("form", field, field, nil) }
        if let meta { return ("meta", meta, meta, nil) }
        if let document = JSONValue(parsing: body), let path = jsonPath(to: value, in: document) {
            let key = path.key ?? "value"
            return (
                "json", path.text, key,
                path.text.contains("[")
                    ? "is taken by position (\(path.text)); a filter such as [?(@.id == …)] survives a changed order"
                    : nil
            )
        }
        for header in response.headers where header.value == value && header.name.lowercased() != "set-cookie" {
            return ("header", header.name, header.name.lowercased(), nil)
        }
        for entry in exchange.entries {
            for header in entry.response.headers where header.name.lowercased() == "set-cookie" {
                let pair = header.value.split(separator: ";").first ?? ""
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[1].trimmingCharacters(in: .whitespaces) == value {
                    let name = parts[0].trimmingCharacters(in: .whitespaces)
                    return ("cookie", name, name, nil)
                }
            }
        }
        guard !wholeOnly else { return nil }
        // An attribute of a tag (a form's action, a link's href): the pattern a person would write for it.
        if let attribute {
            let pattern = "<\(attribute.tag)\\b[^>]*\\b\(attribute.name)=\"([^\"]*)\""
            if firstMatch(pattern, in: response.text) == value {
                return (
                    "regex", pattern, "\(attribute.tag)_\(attribute.name)",
                    "is the \(attribute.name) of the first <\(attribute.tag)> that has one in this page"
                )
            }
        }
        if let pattern = regex(around: value, in: response.text) {
            return ("regex", pattern, "value", "comes from a regular expression around where the recording found it")
        }
        return nil
    }

    /// A regular expression whose first match's group 1 is `value`: the text just before it, escaped, then the
    /// characters such a value is made of.
    static func regex(around value: String, in text: String) -> String? {
        guard let range = text.range(of: value) else { return nil }
        var start = range.lowerBound
        var taken = 0
        while start > text.startIndex, taken < 24 {
            let previous = text.index(before: start)
            if text[previous] == "\n" { break }
            start = previous
            taken += 1
        }
        // Start at a word's beginning.
        if let space = text[start..<range.lowerBound].firstIndex(where: { $0 == " " || $0 == "<" }),
            text.distance(from: space, to: range.lowerBound) >= 4
        {
            start = space
        }
        guard text.distance(from: start, to: range.lowerBound) >= 3 else { return nil }
        var excluded = "\"'<>\\s"
        for delimiter in "/?#&=,;" where !value.contains(delimiter) {
            excluded += delimiter == "/" ? "/" : String(delimiter)
        }
        let pattern =
            NSRegularExpression.escapedPattern(for: String(text[start..<range.lowerBound]))
            + "([^\(excluded)]+)"
        return firstMatch(pattern, in: text) == value ? pattern : nil
    }

    /// Group 1 of the pattern's first match, as an extraction takes it.
    static func firstMatch(_ pattern: String, in text: String) -> String? {
        guard let compiled = try? NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators]),
            let match = compiled.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
            let group = Range(match.range(at: 1), in: text)
        else { return nil }
        return String(text[group])
    }

    /// The shallowest JSONPath to a scalar equal to `value`, and the key it is under.
    static func jsonPath(to value: String, in document: JSONValue) -> (text: String, key: String?)? {
        var queue: [(JSONValue, String, String?)] = [(document, "$", nil)]
        while !queue.isEmpty {
            let (node, path, key) = queue.removeFirst()
            switch node {
            case .string(let text) where text == value: return (path, key)
            case .number(let text) where text == value: return (path, key)
            case .object(let members):
                for (name, member) in members {
                    let isIdentifier = name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
                    queue.append((member, isIdentifier ? "\(path).\(name)" : "\(path)['\(name)']", name))
                }
            case .array(let elements):
                for (position, element) in elements.enumerated() {
                    queue.append((element, "\(path)[\(position)]", key))
                }
            default:
                break
            }
        }
        return nil
    }

    /// A short path segment that may be an id a response handed out (`ord-17`, `o-9`, `A12`): a digit in it, and
    /// two characters at least.
    static func mayBeAnID(_ segment: String) -> Bool {
        segment.count >= 2 && segment.contains(where: \.isNumber)
    }

    /// Path segments worth looking for: numbers of two digits or more, and long tokens with digits.
    static func looksDynamic(_ segment: String) -> Bool {
        if segment.count >= 2 && segment.allSatisfy(\.isNumber) { return true }
        return segment.count >= 16 && segment.contains(where: \.isNumber) && segment.contains(where: \.isLetter)
    }

    static func scalars(_ value: JSONValue) -> [String] {
        switch value {
        case .string(let text), .number(let text): [text]
        case .array(let elements): elements.flatMap(scalars)
        case .object(let members): members.flatMap { scalars($0.1) }
        default: []
        }
    }

    static func formDecode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }

    /// Replaces whole occurrences of `value` (not part of a longer word or number) with the placeholder.
    static func replace(_ value: String, with placeholder: String, in text: String) -> String {
        guard text.contains(value) else { return text }
        var out = ""
        var rest = Substring(text)
        while let range = rest.range(of: value) {
            let before = range.lowerBound > rest.startIndex ? rest[rest.index(before: range.lowerBound)] : nil
            let after = range.upperBound < rest.endIndex ? rest[range.upperBound] : nil
            let glued = { (character: Character?) in character.map { $0.isLetter || $0.isNumber } ?? false }
            out += rest[..<range.lowerBound]
            if glued(before) || glued(after) {
                out += value
            } else {
                // Backslashes just before a placeholder halve (Template): doubled, they stay as recorded.
                out += String(repeating: "\\", count: out.reversed().prefix { $0 == "\\" }.count) + placeholder
            }
            rest = rest[range.upperBound...]
        }
        return out + rest
    }

    /// A recorded JSON body with each string written as a template that renders as itself.
    static func escaped(_ json: JSONValue) -> JSONValue {
        switch json {
        case .string(let text): .string(Template.escaping(text))
        case .array(let elements): .array(elements.map(escaped))
        case .object(let members): .object(members.map { ($0.0, escaped($0.1)) })
        default: json
        }
    }

    static func replace(_ value: String, with placeholder: String, in json: JSONValue) -> JSONValue {
        switch json {
        case .string(let text): .string(text == value ? placeholder : replace(value, with: placeholder, in: text))
        case .number(let text):
            // Sent as a number in the recording: a number again, whatever the response gave it as.
            text == value ? .string(placeholder.dropLast(2) + (Int(text) != nil ? "|int}}" : "|float}}")) : json
        case .array(let elements): .array(elements.map { replace(value, with: placeholder, in: $0) })
        case .object(let members): .object(members.map { ($0.0, replace(value, with: placeholder, in: $0.1)) })
        default: json
        }
    }
}

extension String {
    fileprivate func trimming(_ set: Set<Character>) -> String {
        String(drop { set.contains($0) }.reversed().drop { set.contains($0) }.reversed())
    }
}
