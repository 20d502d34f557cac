import StampedeCore

extension ScenarioDraft {
    /// The draft as a scenario file, with a comment at every guess. `source` names the recording in the header.
    public func yaml(source: String) -> String {
        var out = """
            # Drafted by `stampede scenario from-har \(source)`: \(entries) requests recorded, \(assets) static assets
            # dropped, \(hops) redirect hops folded into the request that caused them (shoppers follow redirects).

            """
        if cached + unanswered > 0 {
            out += "# Left out: \(cached) answered by the browser's cache (never sent), \(unanswered) with no answer.\n"
        }
        out += """
            # Think times are the recording's pauses. Values a response handed out and a later request sent back are
            # extracted and sent as placeholders; cookies travel in each shopper's jar.

            """
        if guesses.isEmpty {
            out += "# No guesses: every value sent back was found where a shopper can take it from.\n"
        } else {
            out += "# Guesses to look at (also marked below):\n"
            for guess in guesses { out += "#   - \(guess)\n" }
        }
        out += "name: \(Self.quoted(name))\n"
        out += "target: \(Self.quoted(target.description))\n"
        if !origins.isEmpty {
            out += "origins: [" + origins.map { Self.quoted($0.description) }.joined(separator: ", ") + "]\n"
        }
        out += "flows:\n  - name: recorded\n    steps:\n"
        for step in steps {
            for note in step.notes { out += "      # \(note)\n" }
            out += "      - name: \(step.name)\n"
            out += "        \(step.method.lowercased()): \(Self.quoted(step.url))\n"
            if !step.headers.isEmpty {
                out += "        headers:\n"
                for (name, value) in step.headers { out += "          \(Self.key(name)): \(Self.quoted(value))\n" }
            }
            switch step.body {
            case .form(let fields)?:
                out += "        form:\n"
                for (name, value) in fields { out += "          \(Self.key(name)): \(Self.quoted(value))\n" }
            case .json(let json)?:
                out += "        json: \(Self.flow(json))\n"
            case .raw(let text, let contentType)?:
                out += "        body: \(Self.quoted(text))\n"
                if !contentType.isEmpty { out += "        content_type: \(Self.quoted(contentType))\n" }
            case nil:
                break
            }
            out += "        expect: \(step.status)\n"
            if !step.extractions.isEmpty {
                out += "        extract:\n"
                for extraction in step.extractions {
                    if let guess = extraction.guess { out += "          # guess: \(guess)\n" }
                    let kind = extraction.kind == "form" ? "form" : extraction.kind
                    out +=
                        "          \(extraction.variable): {\(kind): \(Self.quoted(extraction.argument))}\n"
                }
            }
            if let think = step.think { out += "        think: \(Self.seconds(think))s\n" }
        }
        return out
    }

    /// A YAML double-quoted scalar (JSON's escapes are YAML's).
    static func quoted(_ text: String) -> String {
        VariableValue.text(text).json
    }

    static func key(_ name: String) -> String {
        name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" } ? name : quoted(name)
    }

    /// A JSON value as a YAML flow node: numbers, booleans and null plain, strings quoted.
    static func flow(_ json: JSONValue) -> String {
        switch json {
        case .object(let members): "{" + members.map { key($0.0) + ": " + flow($0.1) }.joined(separator: ", ") + "}"
        case .array(let elements): "[" + elements.map(flow).joined(separator: ", ") + "]"
        case .string(let text): quoted(text)
        default: json.serialized
        }
    }

    static func seconds(_ value: Double) -> String {
        value == value.rounded() ? String(Int(value)) : String(value)
    }
}
