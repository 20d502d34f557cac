import Foundation
import StampedeCore
import Yams

/// Reading one step: its request (URL, headers, body), what it takes from the response, and how it steers the flow.
extension ScenarioLoader {
    static let methods = ["get", "post", "put", "patch", "delete", "head", "options"]
    static let stepFields =
        [
            "name", "headers", "json", "form", "multipart", "body", "content_type", "extract", "expect", "think",
            "proceed", "ledger", "payment", "if", "repeat", "on_status", "follow_redirects", "sql",
        ] + methods

    /// What a step reader needs to know about the scenario around it.
    struct StepContext {
        /// Variables that have a value at this step.
        var variables: [String]
        /// Origins absolute URLs may go to (the target's and the scenario's `origins:`).
        var origins: [Origin]
        /// A setup step (it may be SQL).
        var setup = false
    }

    /// `declared`: the variables the step's `extract` names, whether or not the rest of the step is right.
    static func readStep(_ cursor: YAMLCursor, context: StepContext, declared: inout [String]) -> Step? {
        guard let fields = cursor.mapping(keys: stepFields) else { return nil }
        var complete = true
        let variables = context.variables
        let name = shortName(fields, of: "a step")
        let given = methods.filter { fields[$0].isPresent }
        var method = "GET"
        var path: Template? = nil
        let sql = fields["sql"].isPresent ? fields["sql"].string() : nil
        if fields["sql"].isPresent {
            if !context.setup {
                fields["sql"].report("sql runs only in setup (before the run), not in a shopper's flow")
                complete = false
            } else if !given.isEmpty {
                fields["sql"].report("expected either a request or sql, found both")
                complete = false
            }
            path = Template(literal: "/")
        }
        switch given.count {
        case 1:
            method = given[0].uppercased()
            path = readURL(fields[given[0]], context: context)
            if path == nil { complete = false }
        case 0:
            if !fields["sql"].isPresent {
                cursor.report(
                    "a step needs a request: one of \(methods.joined(separator: ", ")) with a path or URL"
                        + (context.setup ? ", or sql" : ""))
            }
        default:
            fields[given[1]].report("expected one request per step, found \(given.joined(separator: " and "))")
        }
        var headers: [Header] = []
        if let entries = fields["headers"].namedEntries() {
            for (header, value) in entries {
                // A name a server cannot read, or a value that breaks the request's lines, was sent as written: the
                // target answered 400 to every such request, and the run said only `status_4xx`.
                guard Self.isHeaderName(header) else {
                    value.report(
                        "expected a header name (letters, digits and !#$%&'*+-.^_`|~), found \"\(header)\"")
                    complete = false
                    continue
                }
                // How a message is framed and its connection kept is the client's: a Content-Length or a
                // Transfer-Encoding that is not the body's own leaves the server reading the wrong bytes as the next
                // request on that connection.
                if let owner = Self.framingHeaders[header.lowercased()] {
                    value.report("\(header) is set by Stampede (\(owner)); leave it out")
                    complete = false
                    continue
                }
                // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
                if let text = value.string(nonEmpty: false),
                    let line = text.unicodeScalars.firstIndex(where: { ["\r", "\n", "\0"].contains($0) })
                {
                    value.report(
                        "a header's value is one line, found a line break (or NUL) in it",
                        offset: text.unicodeScalars.distance(from: text.unicodeScalars.startIndex, to: line))
                    complete = false
                    continue
                }
                if let text = value.string(nonEmpty: false),
                    let parsed = template(text, at: value, variables: variables)
                {
                    headers.append(Header(name: header, value: parsed))
                } else {
                    complete = false
                }
            }
        }
        let body = readBody(fields, variables: variables)
        if body == nil { complete = false }
        let contentType = fields["content_type"].string()
        var extract: [Extraction] = []
        if let entries = fields["extract"].namedEntries() {
            for (variable, value) in entries {
                declared.append(variable)
                guard let extraction = readExtraction(value, variable: variable) else {
                    complete = false
                    continue
                }
                // A JSONPath may hold placeholders: they must be known at this step.
                let unknown = ((try? ExtractionRule(extraction))?.variables ?? []).filter {
                    !isKnown($0, in: variables)
                }
                if let first = unknown.first {
                    value.report("unknown variable {{\(first)}}; known here: \(variables.joined(separator: ", "))")
                    complete = false
                    continue
                }
                extract.append(extraction)
            }
        }
        let expect = readExpectation(fields["expect"])
        var think: ClosedRange<Double> = 0...0
        if fields["think"].isPresent {
            if let text = fields["think"].scalarText(), let range = Units.secondsRange(text),
                range.upperBound <= Plan.durations.upperBound
            {
                think = range
            } else {
                fields["think"].report("expected a think time such as 2s or 0.5s..3s, at most 7d")
                complete = false
            }
        }
        let proceed =
            fields["proceed"].isPresent
            ? fields["proceed"].number(0...1, expectation: "a probability from 0 to 1") : 1
        var ledger: LedgerRule? = nil
        if fields["ledger"].isPresent {
            ledger = readLedger(fields["ledger"], variables: variables)
            if ledger == nil { complete = false }
        }
        var payment: PaymentRule? = nil
        if fields["payment"].isPresent {
            payment = readPayment(fields["payment"], variables: variables)
            if payment == nil { complete = false }
        }
        var condition: StepCondition? = nil
        if let text = fields["if"].isPresent ? fields["if"].string() : nil {
            do {
                let parsed = try StepCondition(parsing: text)
                if let unknown = parsed.variables.first(where: { !isKnown($0, in: variables) }) {
                    fields["if"].report(
                        "unknown variable {{\(unknown)}}; known here: \(variables.joined(separator: ", "))")
                    complete = false
                } else {
                    condition = parsed
                }
            } catch {
                fields["if"].report(error.message, offset: error.offset)
                complete = false
            }
        } else if fields["if"].isPresent {
            complete = false
        }
        var repeats: ClosedRange<Int> = 1...1
        if fields["repeat"].isPresent {
            if let text = fields["repeat"].scalarText(), let range = Self.countRange(text) {
                repeats = range
            } else {
                fields["repeat"].report("expected how many times, such as 3 or 1..3 (from 1 to 1000)")
                complete = false
            }
        }
        let onStatus = readOnStatus(fields["on_status"], ledger: ledger)
        if onStatus == nil { complete = false }
        var followRedirects: Int? = nil
        if fields["follow_redirects"].isPresent {
            switch fields["follow_redirects"].scalarText()?.lowercased() {
            case "false", "no", "off": followRedirects = 0
            case "true", "yes", "on": followRedirects = 5
            default:
                followRedirects = fields["follow_redirects"].integer(
                    0...20, expectation: "how many redirects to follow (0 to 20), or false")
                if followRedirects == nil { complete = false }
            }
        }
        guard complete, let name, let path, let expect, let proceed, let body, let onStatus,
            headers.count == (fields["headers"].namedEntries()?.count ?? 0)
        else { return nil }
        return Step(
            name: name, method: method, path: path, headers: headers, body: body.value, contentType: contentType,
            extract: extract, expect: expect, think: think, proceed: proceed, ledger: ledger, payment: payment,
            condition: condition, repeats: repeats, onStatus: onStatus, followRedirects: followRedirects, sql: sql)
    }

    /// A step's URL: a path on the target (`/x`), an absolute URL on the target or a listed origin, or a template
    /// that starts with a variable (a URL a response handed out).
    static func readURL(_ cursor: YAMLCursor, context: StepContext) -> Template? {
        guard let text = cursor.string(), let parsed = template(text, at: cursor, variables: context.variables) else {
            return nil
        }
        if text.hasPrefix("/") || parsed.startsWithPlaceholder { return parsed }
        if RequestURL.isAbsolute(text) {
            guard let origin = Origin(url: text) else {
                cursor.report("expected an http:// or https:// URL with a host, found \"\(text)\"")
                return nil
            }
            cursor.address(.url(text))
            if !context.origins.isEmpty, !context.origins.contains(origin) {
                cursor.report(
                    "\(origin) is neither the target nor one of the scenario's origins "
                        + "(\(context.origins.map(\.description).joined(separator: ", "))); list it under origins:")
                return nil
            }
            return parsed
        }
        cursor.report(
            "expected a path starting with /, an http(s):// URL, or a URL from a variable such as {{payment_url}}; "
                + "found \"\(text)\"")
        return nil
    }

    /// A step's body as read: `value` is nil for a step without one.
    struct ReadBody {
        var value: RequestBody?
    }

    /// `json:`, `form:`, `multipart:` or `body:` (at most one); nil when it has problems.
    static func readBody(_ fields: Fields, variables: [String]) -> ReadBody? {
        let kinds = ["json", "form", "multipart", "body"].filter { fields[$0].isPresent }
        guard kinds.count <= 1 else {
            fields[kinds[1]].report(
                "expected one body (json, form, multipart or body), found \(kinds.joined(separator: " and "))")
            return nil
        }
        guard let kind = kinds.first else { return ReadBody(value: nil) }
        let cursor = fields[kind]
        switch kind {
        case "json":
            return readJSONTemplate(cursor, variables: variables, depth: 0).map { ReadBody(value: .json($0)) }
        case "form":
            guard let entries = cursor.namedEntries() else { return nil }
            var form: [RequestBody.FormField] = []
            for (name, value) in entries {
                guard let text = value.scalarText() ?? (value.isPresent ? nil : ""),
                    let parsed = template(text, at: value, variables: variables)
                else {
                    if value.isPresent && value.scalarText() == nil { value.report("expected a text value") }
                    return nil
                }
                form.append(RequestBody.FormField(name: name, value: parsed))
            }
            return ReadBody(value: .form(form))
        case "multipart":
            guard let entries = cursor.namedEntries() else { return nil }
            var parts: [RequestBody.MultipartPart] = []
            for (name, value) in entries {
                if let text = value.scalarText() {
                    guard let parsed = template(text, at: value, variables: variables) else { return nil }
                    parts.append(RequestBody.MultipartPart(name: name, value: parsed))
                    continue
                }
                guard let part = value.mapping(keys: ["value", "file", "filename", "content_type"]) else { return nil }
                var content: Template? = nil
                if let text = part["value"].isPresent ? part["value"].string(nonEmpty: false) : nil {
                    content = template(text, at: part["value"], variables: variables)
                } else if let file = part["file"].isPresent ? part["file"].string() : nil {
                    let path = resolve(file, relativeTo: cursor)
                    guard let data = FileManager.default.contents(atPath: path), data.count <= 16 << 20 else {
                        part["file"].report("cannot read \(path) (at most 16 MiB)")
                        return nil
                    }
                    // A body is text: a JPEG's bytes would go out with each invalid sequence replaced, not as the file.
                    guard let text = String(data: data, encoding: .utf8) else {
                        part["file"].report(
                            "\(path) is not UTF-8 text: a part's file is sent as text, and a binary file (an image) "
                                + "cannot be sent as it is")
                        return nil
                    }
                    content = Template(literal: text)
                } else {
                    value.report("expected value: or file: for the part \(name)")
                }
                guard let content else { return nil }
                parts.append(
                    RequestBody.MultipartPart(
                        name: name, value: content,
                        filename: part["filename"].isPresent ? part["filename"].string() : part["file"].string(),
                        contentType: part["content_type"].isPresent ? part["content_type"].string() : nil))
            }
            return ReadBody(value: .multipart(parts))
        default:
            guard let text = cursor.string(nonEmpty: false),
                let parsed = template(text, at: cursor, variables: variables)
            else { return nil }
            return ReadBody(value: .raw(parsed))
        }
    }

    /// A JSON body written as YAML: plain scalars that read as JSON numbers, true, false or null stay so; every other
    /// scalar is a string that may hold placeholders.
    static func readJSONTemplate(_ cursor: YAMLCursor, variables: [String], depth: Int) -> JSONTemplate? {
        guard let node = cursor.node else { return .literal("null") }
        guard depth < 32 else {
            cursor.report("the JSON body nests deeper than 32 levels")
            return nil
        }
        switch node {
        case .scalar(let scalar):
            let text = scalar.string
            if scalar.style == .plain || scalar.style == .any {
                if YAMLCursor.isNull(scalar) { return .literal("null") }
                if ["true", "false"].contains(text)
                    || (Double(text) != nil && JSONValue(parsing: Array(text.utf8)) != nil)
                {
                    return .literal(text)
                }
            }
            return template(text, at: cursor, variables: variables).map(JSONTemplate.string)
        case .sequence(let sequence):
            var elements: [JSONTemplate] = []
            for (index, element) in sequence.enumerated() {
                guard
                    let value = readJSONTemplate(
                        cursor.child(element, key: String(index), mark: cursor.mark), variables: variables,
                        depth: depth + 1)
                else { return nil }
                elements.append(value)
            }
            return .array(elements)
        case .mapping(let mapping):
            var members: [JSONTemplate.Member] = []
            for pair in cursor.entries(of: mapping) {
                guard case .scalar(let key) = pair.key else {
                    cursor.report("expected text keys in the JSON body")
                    return nil
                }
                guard
                    let value = readJSONTemplate(
                        cursor.child(pair.value, key: key.string, mark: pair.key.mark), variables: variables,
                        depth: depth + 1)
                else { return nil }
                members.append(JSONTemplate.Member(key: key.string, value: value))
            }
            return .object(members)
        case .alias:
            cursor.report("aliases are not supported in a JSON body")
            return nil
        }
    }

    static let extractionSources = ["json", "regex", "header", "cookie", "form", "meta"]

    /// `name: $.path`, or `name: {json|regex|header|cookie|form|meta: …, group: 1, pick: first|last|random|all,
    /// default: …}`.
    static func readExtraction(_ cursor: YAMLCursor, variable: String) -> Extraction? {
        if cursor.node?.scalar != nil {
            guard let text = cursor.string() else { return nil }
            return jsonExtraction(text, at: cursor, variable: variable)
        }
        guard let fields = cursor.mapping(keys: extractionSources + ["group", "pick", "default"]) else { return nil }
        let given = extractionSources.filter { fields[$0].isPresent }
        guard given.count == 1, let text = fields[given[0]].string() else {
            if given.count != 1 {
                cursor.report(
                    "expected one source: \(extractionSources.joined(separator: ", ")); found "
                        + (given.isEmpty ? "none" : given.joined(separator: " and ")))
            }
            return nil
        }
        let at = fields[given[0]]
        var pick = Extraction.Pick.first
        if fields["pick"].isPresent {
            guard let chosen = fields["pick"].choice(Extraction.Pick.self) else { return nil }
            pick = chosen
        }
        let defaultValue = fields["default"].isPresent ? fields["default"].scalarText() : nil
        if fields["group"].isPresent && given[0] != "regex" {
            fields["group"].report("group goes with regex")
            return nil
        }
        var source: Extraction.Source
        switch given[0] {
        case "json":
            guard let json = jsonExtraction(text, at: at, variable: variable) else { return nil }
            source = json.source
        case "regex":
            let group =
                fields["group"].isPresent ? fields["group"].integer(0...99, expectation: "a capture group, 0 to 99") : 1
            guard let group else { return nil }
            source = .regex(pattern: text, group: group)
        case "header": source = .header(text)
        case "cookie": source = .cookie(text)
        case "form": source = .formField(text)
        default: source = .meta(text)
        }
        let extraction = Extraction(variable: variable, source: source, pick: pick, defaultValue: defaultValue)
        do {
            _ = try ExtractionRule(extraction)
        } catch {
            at.report(error.message)
            return nil
        }
        return extraction
    }

    static func jsonExtraction(_ text: String, at cursor: YAMLCursor, variable: String) -> Extraction? {
        do {
            return Extraction(variable: variable, path: try ValuePath(parsing: text))
        } catch {
            cursor.report(error.message)
            return nil
        }
    }

    /// `on_status: {406: sold_out, 404: done, 503: fail}`.
    static func readOnStatus(_ cursor: YAMLCursor, ledger: LedgerRule?) -> [StatusOutcome]? {
        guard cursor.isPresent else { return [] }
        guard let entries = cursor.namedEntries() else { return nil }
        var outcomes: [StatusOutcome] = []
        for (key, value) in entries {
            guard let status = Int(key), (100...599).contains(status) else {
                value.report("expected an HTTP status code as the key, found \"\(key)\"")
                return nil
            }
            guard let outcome = value.choice(StatusOutcome.Outcome.self) else { return nil }
            if outcome == .soldOut && ledger == nil {
                value.report("sold_out counts in the ledger: give the step a ledger with its sku")
                return nil
            }
            outcomes.append(StatusOutcome(status: status, outcome: outcome))
        }
        return outcomes
    }

    /// "3" or "1..3", from 1 to 1000.
    static func countRange(_ text: String) -> ClosedRange<Int>? {
        let parts = text.components(separatedBy: "..").map { $0.trimmingCharacters(in: .whitespaces) }
        guard (1...2).contains(parts.count), let low = Int(parts[0]), let high = Int(parts.last!), 1 <= low,
            low <= high, high <= 1000
        else { return nil }
        return low...high
    }

    /// A file named in the scenario, relative to the scenario's directory.
    static func resolve(_ file: String, relativeTo cursor: YAMLCursor) -> String {
        guard !file.hasPrefix("/") else { return file }
        let directory = (cursor.log.file as NSString).deletingLastPathComponent
        return directory.isEmpty ? file : (directory as NSString).appendingPathComponent(file)
    }

    /// Headers that frame the message or manage the connection, and what sets each instead.
    static let framingHeaders: [String: String] = [
        "content-length": "from the body", "transfer-encoding": "from the body",
        "connection": "it keeps and pools connections; --connection-per-shopper gives each shopper its own",
        "keep-alive": "it keeps and pools connections", "upgrade": "from --protocol",
    ]

    /// An HTTP field name: one token (RFC 9110, 5.1).
    static func isHeaderName(_ name: String) -> Bool {
        !name.isEmpty
            && name.unicodeScalars.allSatisfy { scalar in
                scalar.isASCII
                    && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar)
                        || "!#$%&'*+-.^_`|~".unicodeScalars.contains(scalar))
            }
    }
}
