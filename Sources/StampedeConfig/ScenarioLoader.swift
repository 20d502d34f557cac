public import StampedeCore
import Foundation
import Yams

/// Reads scenarios (`scenarios/*.yaml`): flows of steps as data, reporting every problem at once.
public enum ScenarioLoader {
    public static func load(path: String) throws(ConfigError) -> Scenario {
        try ConfigDocument.load(path: path, what: "a scenario", read: read)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Scenario {
        try ConfigDocument.parse(text, file: file, what: "a scenario", read: read)
    }

    static let methods = ["get", "post", "put", "patch", "delete", "head", "options"]
    static let stepFields = ["name", "headers", "json", "body", "content_type", "extract", "expect", "think", "proceed"]
        + methods

    static func read(_ root: YAMLCursor) -> Scenario? {
        guard root.isPresent else {
            root.report("expected a scenario (a mapping with name and flows), found an empty file")
            return nil
        }
        guard let fields = root.mapping(keys: ["name", "description", "target", "data", "flows"]) else { return nil }
        let name = fields.require("name", expectation: "a short name")?.string()
        _ = fields["description"].string()
        let target = fields["target"].string()
        if let target, !(target.hasPrefix("http://") || target.hasPrefix("https://")) {
            fields["target"].report("expected a URL starting with http:// or https://, found \"\(target)\"")
        }
        let data = readData(fields["data"])
        let known = Scenario.builtinVariables + (data ?? []).map(\.name)
        var flows: [Flow] = []
        var complete = data != nil
        if let entries = fields.require("flows", expectation: "a list of flows")?.list(nonEmpty: true) {
            for entry in entries {
                if let flow = readFlow(entry, known: known) { flows.append(flow) } else { complete = false }
            }
            let names = flows.map(\.name)
            for (index, flowName) in names.enumerated() where names[..<index].contains(flowName) {
                entries[index].report("the flow name \"\(flowName)\" is used twice")
                complete = false
            }
            if complete, !flows.contains(where: { $0.weight > 0 }) {
                fields["flows"].report("expected at least one flow with a weight above 0")
                complete = false
            }
        } else {
            complete = false
        }
        guard let name, let data, complete else { return nil }
        return Scenario(name: name, target: target, data: data, flows: flows)
    }

    static func readData(_ cursor: YAMLCursor) -> [DataList]? {
        guard cursor.isPresent else { return [] }
        guard let entries = cursor.namedEntries() else { return nil }
        var lists: [DataList] = []
        var complete = true
        for (name, value) in entries {
            if Scenario.builtinVariables.contains(name) {
                value.report("\"\(name)\" is a built-in variable; choose another name")
                complete = false
            }
            guard let items = value.list(nonEmpty: true) else {
                complete = false
                continue
            }
            let values = items.compactMap { $0.string() }
            guard values.count == items.count else {
                complete = false
                continue
            }
            lists.append(DataList(name: name, values: values))
        }
        return complete ? lists : nil
    }

    static func readFlow(_ cursor: YAMLCursor, known: [String]) -> Flow? {
        guard let fields = cursor.mapping(keys: ["name", "weight", "steps"]) else { return nil }
        let name = fields.require("name", expectation: "a short name")?.string()
        let weight = fields["weight"].isPresent
            ? fields["weight"].number(0...1e12, expectation: "a weight ≥ 0") : 1
        var variables = known
        var steps: [Step] = []
        var complete = true
        if let entries = fields.require("steps", expectation: "a list of steps")?.list(nonEmpty: true) {
            for entry in entries {
                guard let step = readStep(entry, variables: variables) else {
                    complete = false
                    continue
                }
                variables += step.extract.map(\.variable)
                steps.append(step)
            }
            let names = steps.map(\.name)
            for (index, stepName) in names.enumerated() where names[..<index].contains(stepName) {
                entries[index].report("the step name \"\(stepName)\" is used twice in this flow")
                complete = false
            }
        } else {
            complete = false
        }
        guard let name, let weight, complete else { return nil }
        return Flow(name: name, weight: weight, steps: steps)
    }

    static func readStep(_ cursor: YAMLCursor, variables: [String]) -> Step? {
        guard let fields = cursor.mapping(keys: stepFields) else { return nil }
        var complete = true
        let name = fields.require("name", expectation: "a short name")?.string()
        let given = methods.filter { fields[$0].isPresent }
        var method = "GET"
        var path: Template? = nil
        switch given.count {
        case 1:
            method = given[0].uppercased()
            let field = fields[given[0]]
            if let text = field.string() {
                if !text.hasPrefix("/") {
                    field.report("expected a path starting with /, found \"\(text)\"")
                    complete = false
                }
                path = template(text, at: field, variables: variables)
            }
        case 0:
            cursor.report("a step needs a request: one of \(methods.joined(separator: ", ")) with a path")
        default:
            fields[given[1]].report("expected one request per step, found \(given.joined(separator: " and "))")
        }
        var headers: [Header] = []
        if let entries = fields["headers"].namedEntries() {
            for (header, value) in entries {
                if let text = value.string(nonEmpty: false), let parsed = template(text, at: value, variables: variables) {
                    headers.append(Header(name: header, value: parsed))
                } else {
                    complete = false
                }
            }
        }
        var body: Template? = nil
        var contentType = fields["content_type"].string()
        switch (fields["json"].isPresent, fields["body"].isPresent) {
        case (true, true):
            fields["body"].report("expected either json or body, found both")
            complete = false
        case (true, false):
            if let json = JSONText.render(fields["json"]) {
                body = template(json, at: fields["json"], variables: variables)
                contentType = contentType ?? "application/json"
            } else {
                complete = false
            }
        case (false, true):
            if let text = fields["body"].string(nonEmpty: false) {
                body = template(text, at: fields["body"], variables: variables)
            }
        case (false, false):
            break
        }
        var extract: [Extraction] = []
        if let entries = fields["extract"].namedEntries() {
            for (variable, value) in entries {
                guard let text = value.string() else {
                    complete = false
                    continue
                }
                do {
                    extract.append(Extraction(variable: variable, path: try ValuePath(parsing: text)))
                } catch {
                    value.report(error.message)
                    complete = false
                }
            }
        }
        let expect = readExpectation(fields["expect"])
        var think: ClosedRange<Double> = 0...0
        if fields["think"].isPresent {
            if let text = fields["think"].scalarText(), let range = Units.secondsRange(text) {
                think = range
            } else {
                fields["think"].report("expected a think time such as 2s or 0.5s..3s")
                complete = false
            }
        }
        let proceed = fields["proceed"].isPresent
            ? fields["proceed"].number(0...1, expectation: "a probability from 0 to 1") : 1
        guard complete, let name, let path, let expect, let proceed,
            !fields["json"].isPresent || body != nil, !fields["body"].isPresent || body != nil,
            headers.count == (fields["headers"].namedEntries()?.count ?? 0)
        else { return nil }
        return Step(
            name: name, method: method, path: path, headers: headers, body: body, contentType: contentType,
            extract: extract, expect: expect, think: think, proceed: proceed)
    }

    static func readExpectation(_ cursor: YAMLCursor) -> Expectation? {
        guard cursor.isPresent else { return Expectation() }
        if cursor.node?.scalar != nil {
            return cursor.integer(100...599, expectation: "an HTTP status code").map { Expectation(status: [$0]) }
        }
        guard let fields = cursor.mapping(keys: ["status", "body_contains"]) else { return nil }
        var statuses: [Int] = []
        let status = fields["status"]
        if status.isPresent {
            if status.node?.scalar != nil {
                guard let code = status.integer(100...599, expectation: "an HTTP status code") else { return nil }
                statuses = [code]
            } else {
                guard let items = status.list(nonEmpty: true) else { return nil }
                statuses = items.compactMap { $0.integer(100...599, expectation: "an HTTP status code") }
                guard statuses.count == items.count else { return nil }
            }
        }
        let contains = fields["body_contains"].string()
        if fields["body_contains"].isPresent && contains == nil { return nil }
        return Expectation(status: statuses, bodyContains: contains)
    }

    /// Parses a template and checks that it only uses variables known at this step.
    static func template(_ text: String, at cursor: YAMLCursor, variables: [String]) -> Template? {
        do {
            let parsed = try Template(parsing: text)
            let unknown = parsed.variables.filter { !variables.contains($0) }
            guard unknown.isEmpty else {
                cursor.report("unknown variable {{\(unknown[0])}}; known here: \(variables.joined(separator: ", "))")
                return nil
            }
            return parsed
        } catch {
            cursor.report(error.message)
            return nil
        }
    }
}

/// A YAML value written out as JSON text (templates stay inside the strings).
enum JSONText {
    static func render(_ cursor: YAMLCursor) -> String? {
        guard let node = cursor.node else { return nil }
        var output = ""
        var ok = true
        func write(_ node: Node, depth: Int) {
            guard ok else { return }
            guard depth < 32 else {
                cursor.report("the JSON body nests deeper than 32 levels")
                ok = false
                return
            }
            switch node {
            case .scalar(let scalar):
                let text = scalar.string
                if scalar.style == .plain || scalar.style == .any {
                    if YAMLCursor.isNull(scalar) {
                        output += "null"
                        return
                    }
                    if ["true", "false"].contains(text) || (Double(text) != nil && JSONValue(parsing: Array(text.utf8)) != nil) {
                        output += text
                        return
                    }
                }
                output += "\""
                Template.append(text, escaping: .json, to: &output)
                output += "\""
            case .sequence(let sequence):
                output += "["
                for (index, element) in sequence.enumerated() {
                    if index > 0 { output += "," }
                    write(element, depth: depth + 1)
                }
                output += "]"
            case .mapping(let mapping):
                output += "{"
                for (index, pair) in mapping.enumerated() {
                    if index > 0 { output += "," }
                    guard case .scalar(let key) = pair.key else {
                        cursor.report("expected text keys in the JSON body")
                        ok = false
                        return
                    }
                    output += "\""
                    Template.append(key.string, escaping: .json, to: &output)
                    output += "\":"
                    write(pair.value, depth: depth + 1)
                }
                output += "}"
            case .alias:
                cursor.report("aliases are not supported in a JSON body")
                ok = false
            }
        }
        write(node, depth: 0)
        return ok ? output : nil
    }
}
