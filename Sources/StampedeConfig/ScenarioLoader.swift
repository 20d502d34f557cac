import Foundation
public import StampedeCore
import Yams

/// Reads scenarios (`scenarios/*.yaml`): flows of steps as data, reporting every problem at once.
public enum ScenarioLoader {
    public static func load(path: String) throws(ConfigError) -> Scenario {
        try ConfigDocument.load(path: path, what: "a scenario", read: read)
    }

    public static func parse(_ text: String, file: String) throws(ConfigError) -> Scenario {
        try ConfigDocument.parse(text, file: file, what: "a scenario", read: read)
    }

    /// The scenario, and every place in it that says where requests go (for ``AddressGuard``).
    public static func loadWithAddresses(path: String) throws(ConfigError) -> (Scenario, [ConfigAddress]) {
        try ConfigDocument.loadWithAddresses(path: path, what: "a scenario", read: read)
    }

    /// The same from text.
    public static func parseWithAddresses(
        _ text: String, file: String
    ) throws(ConfigError) -> (Scenario, [ConfigAddress]) {
        try ConfigDocument.parseWithAddresses(text, file: file, what: "a scenario", read: read)
    }

    static func read(_ root: YAMLCursor) -> Scenario? {
        guard root.isPresent else {
            root.report("expected a scenario (a mapping with name and flows), found an empty file")
            return nil
        }
        guard
            let fields = root.mapping(
                keys: [
                    "name", "description", "target", "origins", "data", "feeders", "flows", "setup", "ground_truth",
                    "drill", "thresholds",
                ])
        else { return nil }
        let name = fields.require("name", expectation: "a short name")?.string()
        _ = fields["description"].string()
        let target = fields["target"].string()
        if let target, Origin(exactly: target) == nil {
            fields["target"].report(
                "expected an origin such as http://127.0.0.1:8080 (scheme, host and port; each step gives its path), "
                    + "found \"\(target)\"")
        }
        let data = readData(fields["data"])
        let origins = readOrigins(fields["origins"], target: target)
        var unreadFeeders: [String] = []
        let feeders = readFeeders(fields["feeders"], data: data ?? [], unread: &unreadFeeders)
        var complete = data != nil && feeders != nil
        let partial = Scenario(name: "", data: data ?? [], feeders: feeders ?? [], flows: [])
        let context = StepContext(
            variables: partial.startingVariables + unreadFeeders.map { "\($0).*" }, origins: origins)
        var flows: [Flow] = []
        // Flows with a problem (reported there), by name: a threshold that names one is not reported again.
        var unreadFlows: [String] = []
        if let entries = fields.require("flows", expectation: "a list of flows")?.list(nonEmpty: true) {
            for entry in entries {
                var named: String? = nil
                if let flow = readFlow(entry, context: context, named: &named) {
                    flows.append(flow)
                } else {
                    unreadFlows += named.map { [$0] } ?? []
                    complete = false
                }
            }
            // Counted over every entry, read or not: the index of a flow read is not its entry's when one before
            // it had a problem, and the second "buyer" was reported at the first (or not at all).
            if !YAMLCursor.namesAreUnique(entries, { "the flow name \"\($0)\" is used twice" }) { complete = false }
        } else {
            complete = false
        }
        var groundTruth: GroundTruthSpec? = nil
        if fields["ground_truth"].isPresent {
            groundTruth = readGroundTruth(fields["ground_truth"])
            if groundTruth == nil { complete = false }
        }
        var setup: [Step]? = nil
        if fields["setup"].isPresent {
            if let entries = fields["setup"].list() {
                var setupContext = context
                setupContext.variables = Scenario.builtinVariables
                setupContext.setup = true
                // Each setup step is read against the built-in variables alone.
                var unused: [String] = []
                let steps = entries.compactMap { readStep($0, context: setupContext, declared: &unused) }
                if steps.count == entries.count { setup = steps } else { complete = false }
                if let sqlAt = steps.firstIndex(where: { $0.sql != nil }) {
                    if case .sql? = groundTruth?.source {
                    } else {
                        entries[sqlAt].report(
                            "sql in setup runs against the books' database: give ground_truth an sql source (url_env)")
                        complete = false
                    }
                }
            } else {
                complete = false
            }
        }
        var drill: PaymentDrill? = nil
        if fields["drill"].isPresent {
            drill = readDrill(fields["drill"])
            if drill == nil { complete = false }
        }
        var thresholds: [Threshold]? = nil
        if fields["thresholds"].isPresent {
            thresholds = readThresholds(
                fields["thresholds"], flows: flows, drill: fields["drill"].isPresent, unread: unreadFlows)
            if thresholds == nil { complete = false }
        }
        guard let name, let data, complete else { return nil }
        return Scenario(
            name: name, target: target, origins: origins.map(\.description), data: data, feeders: feeders ?? [],
            flows: flows, setup: setup, groundTruth: groundTruth, drill: drill, thresholds: thresholds)
    }

    /// `thresholds: ["p99(buyer/order) < 300ms", {check: "error_rate(all) < 1%", abort_on_fail: true, delay: 10s}]`
    /// `unread`: flows that have a problem of their own; a threshold naming one is taken as it is.
    static func readThresholds(
        _ cursor: YAMLCursor, flows: [Flow], drill: Bool, unread: [String] = []
    ) -> [Threshold]? {
        guard let entries = cursor.list() else { return nil }
        var thresholds: [Threshold] = []
        for entry in entries {
            var text = entry
            var abort: Bool? = nil
            var delay: Double? = nil
            if entry.node?.scalar == nil {
                guard let fields = entry.mapping(keys: ["check", "abort_on_fail", "delay"]),
                    let check = fields.require("check", expectation: "the threshold, such as \"p99(all) < 300ms\"")
                else { continue }
                text = check
                if fields["abort_on_fail"].isPresent {
                    guard let flag = fields["abort_on_fail"].boolean() else { continue }
                    abort = flag
                }
                if fields["delay"].isPresent {
                    guard let seconds = fields["delay"].duration(allowZero: true) else { continue }
                    delay = seconds
                }
            }
            guard let source = text.string() else { continue }
            do {
                var threshold = try ThresholdParser.parse(source)
                if let abort { threshold.abortOnFail = abort }
                if let delay { threshold.delay = delay }
                if threshold.abortOnFail, threshold.metric.needsVerdict {
                    text.report("this figure is known only after the run; it cannot stop one (no abort_on_fail)")
                    continue
                }
                if let problem = Self.problem(with: threshold, flows: flows, drill: drill, unread: unread) {
                    text.report(problem)
                    continue
                }
                thresholds.append(threshold)
            } catch {
                text.report(error.message, offset: error.offset)
            }
        }
        return thresholds.count == entries.count ? thresholds : nil
    }

    /// What makes a threshold wrong for this scenario: a flow or step it names that the scenario does not have, or
    /// a verdict the scenario could never give (oversold without a ledger rule, a payment figure without a drill),
    /// which would leave the run UNVERIFIED (exit 3) every time. A flow in `unread` exists but could not be read (its
    /// problems are reported where they are), so its steps are not checked, nor is the ledger when one is unread.
    public static func problem(with threshold: Threshold, flows: [Flow], drill: Bool, unread: [String] = []) -> String?
    {
        let selector: Threshold.Selector
        switch threshold.metric {
        case .latency(_, _, let chosen, _), .errorRate(let chosen, _), .rate(_, let chosen, _): selector = chosen
        case .oversold, .phantom, .leaked:
            let ledger = !unread.isEmpty || flows.contains { $0.steps.contains { $0.ledger != nil } }
            return ledger
                ? nil
                : "this verdict joins the orders the shoppers' ledger confirmed with the target's books, and no step "
                    + "has a ledger rule (ledger: {confirms: order, sku: \"{{sku}}\"}): it could never be checked "
                    + "(docs/flash-sales.md)"
        case .doubleCharges, .orphanCharges, .unchargedOrders, .failoverTime:
            return drill
                ? nil
                : "this figure comes from a payment-failover drill, and the scenario has no drill: it could never be "
                    + "checked (docs/payments.md)"
        default: return nil
        }
        let flowName: String
        switch selector {
        case .all: return nil
        case .flow(let name), .step(let name, _): flowName = name
        }
        guard !unread.contains(flowName) else { return nil }
        guard let flow = flows.first(where: { $0.name == flowName }) else {
            return "the scenario has no flow \"\(flowName)\" (flows: "
                + (flows.map(\.name) + unread).joined(separator: ", ") + ")"
        }
        switch selector {
        case .all, .flow: return nil
        case .step(_, let stepName):
            return flow.steps.contains { $0.name == stepName }
                ? nil
                : "the flow \(flowName) has no step \"\(stepName)\" (steps: \(flow.steps.map(\.name).joined(separator: ", ")))"
        }
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

    /// A flow's or a step's name, as a threshold names it (`p99(buyer/pay)`) and a histogram's file carries it:
    /// `add to cart` could be named by no threshold. Reported, and still returned, when it breaks the
    /// rule (so that what uses it is not reported too).
    static func shortName(_ fields: Fields, of what: String) -> String? {
        guard let name = fields.require("name", expectation: "a short name such as buyer")?.string() else { return nil }
        if !ShortName.isValid(name) {
            fields["name"].report(
                "expected \(ShortName.rule) (a threshold names \(what) by it, as in p99(buyer/pay)), found \"\(name)\"")
        }
        return name
    }

    /// `named`: the flow's name, whether or not the rest of the flow is right.
    static func readFlow(_ cursor: YAMLCursor, context: StepContext, named: inout String?) -> Flow? {
        guard let fields = cursor.mapping(keys: ["name", "weight", "steps"]) else { return nil }
        let name = shortName(fields, of: "a flow")
        named = name
        let weight =
            fields["weight"].isPresent
            ? fields["weight"].number(0...1e12, expectation: "a weight ≥ 0 (0: only bursts play the flow)") : 1
        var context = context
        var steps: [Step] = []
        var complete = true
        if let entries = fields.require("steps", expectation: "a list of steps")?.list(nonEmpty: true) {
            for entry in entries {
                // What a step extracts is known after it even when the step has a problem (reported there), so
                // that the steps after it are not reported for using it.
                var declared: [String] = []
                let step = readStep(entry, context: context, declared: &declared)
                context.variables += declared
                guard let step else {
                    complete = false
                    continue
                }
                steps.append(step)
            }
            if !YAMLCursor.namesAreUnique(entries, { "the step name \"\($0)\" is used twice in this flow" }) {
                complete = false
            }
        } else {
            complete = false
        }
        guard let name, let weight, complete else { return nil }
        return Flow(name: name, weight: weight, steps: steps)
    }

    /// `payment: {order: "{{order_id}}", channel: $.channel, paid: {status: 200}}`
    static func readPayment(_ cursor: YAMLCursor, variables: [String]) -> PaymentRule? {
        guard let fields = cursor.mapping(keys: ["order", "channel", "paid"]) else { return nil }
        let order = fields.require("order", expectation: "the order paid, such as \"{{order_id}}\"")?.string()
            .flatMap { template($0, at: fields["order"], variables: variables) }
        var channel: ValuePath? = nil
        if let text = fields["channel"].string() {
            do { channel = try ValuePath(parsing: text) } catch { fields["channel"].report(error.message) }
        }
        let paid = fields["paid"].isPresent ? readExpectation(fields["paid"]) : nil
        guard let order, fields["channel"].isPresent == (channel != nil), fields["paid"].isPresent == (paid != nil)
        else {
            return nil
        }
        return PaymentRule(order: order, channel: channel, paid: paid)
    }

    /// `drill: {primary, channels: {name: url}, faults: [{channel, kind, at, lasting, extra}], orders, attempts}`
    static func readDrill(_ cursor: YAMLCursor) -> PaymentDrill? {
        guard let fields = cursor.mapping(keys: ["primary", "channels", "faults", "orders", "attempts"]) else {
            return nil
        }
        var complete = true
        var channels: [PaymentDrill.Channel] = []
        if let entries = fields.require("channels", expectation: "the channel simulators, name: URL")?.namedEntries() {
            for (name, value) in entries {
                guard let url = value.string() else {
                    complete = false
                    continue
                }
                if !(url.hasPrefix("http://") || url.hasPrefix("https://")) {
                    value.report("expected a URL starting with http://, found \"\(url)\"")
                    complete = false
                }
                if let earlier = channels.first(where: { PaymentDrill.sameSimulator($0.url, url) }) {
                    value.report(
                        "\(url) is \(earlier.name)'s simulator too: each channel needs its own (one ledger read as "
                            + "two counts every charge twice, and one channel's faults would hit both)")
                    complete = false
                }
                value.address(.url(url))
                channels.append(PaymentDrill.Channel(name: name, url: url))
            }
        } else {
            complete = false
        }
        let primary = fields.require("primary", expectation: "the primary channel's name")?.string()
        if let primary, !channels.isEmpty, !channels.contains(where: { $0.name == primary }) {
            fields["primary"].report(
                "expected one of the channels (\(channels.map(\.name).joined(separator: ", "))), found \"\(primary)\"")
            complete = false
        }
        var faults: [PaymentDrill.Fault] = []
        if let entries = fields["faults"].isPresent ? fields["faults"].list() : [] {
            for entry in entries {
                guard let fault = entry.mapping(keys: ["channel", "kind", "at", "lasting", "extra"]) else {
                    complete = false
                    continue
                }
                let channel = fault.require("channel", expectation: "a channel's name")?.string()
                if let channel, !channels.contains(where: { $0.name == channel }) {
                    fault["channel"].report("expected one of the channels, found \"\(channel)\"")
                    complete = false
                }
                let kind = fault.require(
                    "kind", expectation: YAMLCursor.alternatives(ChannelFault.Kind.allCases.map(\.rawValue))
                )?.choice(ChannelFault.Kind.self)
                var at: Double? = nil
                if let atField = fault.require("at", expectation: "a clock time such as \"00:00:20\"") {
                    at = atField.scalarText().flatMap(ProfileClock.parse)
                    if at == nil { atField.report("expected a clock time such as \"00:00:20\"") }
                }
                let lasting = fault.require("lasting", expectation: "how long, such as 20s")?.duration()
                let extra = fault["extra"].isPresent ? fault["extra"].duration(allowZero: true) : 0
                guard let channel, let kind, let at, let lasting, let extra else {
                    complete = false
                    continue
                }
                faults.append(PaymentDrill.Fault(channel: channel, kind: kind, at: at, lasting: lasting, extra: extra))
            }
        } else {
            complete = false
        }
        let orders = fields["orders"].string()
        let attempts = fields["attempts"].string()
        for (key, value) in [("orders", orders), ("attempts", attempts)] {
            guard let value else { continue }
            guard value.hasPrefix("/") || value.hasPrefix("http://") || value.hasPrefix("https://") else {
                fields[key].report(
                    "expected a path on the target starting with / (such as /admin/\(key)) or a URL, found \"\(value)\""
                )
                complete = false
                continue
            }
            fields[key].address(.url(value))
        }
        guard complete, let primary else { return nil }
        return PaymentDrill(channels: channels, primary: primary, faults: faults, orders: orders, attempts: attempts)
    }

    /// `ledger: {confirms: order, sku: "{{sku}}", quantity: 1, confirmed: {status: 201}, sold_out: {status: 409}}`;
    /// a step that only watches for "sold out" (an add-to-basket step) leaves out `confirms`.
    static func readLedger(_ cursor: YAMLCursor, variables: [String]) -> LedgerRule? {
        guard let fields = cursor.mapping(keys: ["confirms", "sku", "quantity", "confirmed", "sold_out"]) else {
            return nil
        }
        var complete = true
        if let kind = fields["confirms"].isPresent ? fields["confirms"].string() : nil, kind != "order" {
            fields["confirms"].report("expected order, found \"\(kind)\"")
            complete = false
        }
        if !fields["confirms"].isPresent && !fields["sold_out"].isPresent {
            cursor.report("expected confirms: order, sold_out: {…}, or both")
            complete = false
        }
        if fields["confirmed"].isPresent && !fields["confirms"].isPresent {
            fields["confirmed"].report("confirmed goes with confirms: order")
            complete = false
        }
        let sku = fields.require("sku", expectation: "the SKU ordered, such as \"{{sku}}\"")?.string()
            .flatMap { template($0, at: fields["sku"], variables: variables) }
        let quantity =
            fields["quantity"].isPresent
            ? fields["quantity"].integer(1...1_000_000, expectation: "a quantity from 1") : 1
        let confirmed = fields["confirmed"].isPresent ? readExpectation(fields["confirmed"]) : nil
        let soldOut = fields["sold_out"].isPresent ? readExpectation(fields["sold_out"]) : nil
        guard complete, let sku, let quantity, !fields["confirmed"].isPresent || confirmed != nil,
            !fields["sold_out"].isPresent || soldOut != nil
        else {
            return nil
        }
        return LedgerRule(
            sku: sku, quantity: quantity, confirms: fields["confirms"].isPresent, confirmed: confirmed, soldOut: soldOut
        )
    }

    /// `ground_truth: {http: {url, items, sku, stock, sold, reserved}, every: 2s, settle: 0s}` or `{sql: {url_env, query}}`.
    static func readGroundTruth(_ cursor: YAMLCursor) -> GroundTruthSpec? {
        guard let fields = cursor.mapping(keys: ["http", "sql", "every", "settle", "hold"]) else { return nil }
        let every = fields["every"].isPresent ? fields["every"].duration(allowZero: true) : 2
        let settle = fields["settle"].isPresent ? fields["settle"].duration(allowZero: true) : 0
        let hold = fields["hold"].isPresent ? fields["hold"].duration() : nil
        var source: GroundTruthSpec.Source? = nil
        switch (fields["http"].isPresent, fields["sql"].isPresent) {
        case (true, false):
            if let http = fields["http"].mapping(keys: ["url", "items", "sku", "stock", "sold", "reserved", "released"])
            {
                let url = http.require("url", expectation: "a URL or a path on the target")?.string()
                if let url { http["url"].address(.url(url)) }
                var items: ValuePath? = nil
                if let text = http.require("items", expectation: "the path to the array of SKUs, such as $.skus")?
                    .string()
                {
                    do { items = try ValuePath(parsing: text) } catch { http["items"].report(error.message) }
                }
                let sku = http["sku"].isPresent ? http["sku"].string() : "sku"
                let stock = http["stock"].isPresent ? http["stock"].string() : "stock"
                let sold = http["sold"].isPresent ? http["sold"].string() : "sold"
                let reserved = http["reserved"].string()
                let released = http["released"].string()
                if let url, let items, let sku, let stock, let sold, !http["reserved"].isPresent || reserved != nil,
                    !http["released"].isPresent || released != nil
                {
                    source = .http(
                        url: url, items: items, sku: sku, stock: stock, sold: sold, reserved: reserved,
                        released: released)
                }
            }
        case (false, true):
            if let sql = fields["sql"].mapping(keys: ["url_env", "query"]) {
                let variable = sql.require("url_env", expectation: "the environment variable holding the database URL")?
                    .string()
                let query = sql.require(
                    "query", expectation: "a query returning sku, stock, sold[, reserved[, released]]")?
                    .string()
                if let variable { sql["url_env"].address(.environment(variable)) }
                if let variable, let query { source = .sql(urlEnvironment: variable, query: query) }
            }
        case (true, true):
            fields["sql"].report("expected either http or sql, found both")
        case (false, false):
            cursor.report("ground truth needs http (an endpoint) or sql (a query)")
        }
        guard let source, let every, let settle, !fields["hold"].isPresent || hold != nil else { return nil }
        return GroundTruthSpec(source: source, every: every, settle: settle, hold: hold)
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
        var contains = fields["body_contains"].string()
        if fields["body_contains"].isPresent && contains == nil { return nil }
        // Matched as written: a placeholder here was looked for as the text `{{sku}}`, and the check failed on
        // every page. `\{{` is a literal `{{`, as everywhere.
        if let text = contains, text.contains("{{") {
            let template: Template
            do {
                template = try Template(parsing: text)
            } catch {
                fields["body_contains"].report(error.message)
                return nil
            }
            guard let variable = template.variables.first else {
                contains = template.render(text: { _ in nil }).text
                return Expectation(status: statuses, bodyContains: contains)
            }
            fields["body_contains"].report(
                "body_contains is matched as written and takes no placeholder ({{\(variable)}}); write \\{{ for "
                    + "literal braces")
            return nil
        }
        return Expectation(status: statuses, bodyContains: contains)
    }

    /// Whether `variable` has a value at a step whose known variables are `variables`. An entry `name.*` stands for
    /// a feeder that could not be read: any of its fields passes, for its file is where the problem is.
    static func isKnown(_ variable: String, in variables: [String]) -> Bool {
        variables.contains(variable) || variables.contains { $0.hasSuffix(".*") && variable.hasPrefix($0.dropLast()) }
    }

    /// Parses a template and checks that it only uses variables known at this step.
    static func template(_ text: String, at cursor: YAMLCursor, variables: [String]) -> Template? {
        do {
            let parsed = try Template(parsing: text)
            let unknown = parsed.variables.filter { !isKnown($0, in: variables) }
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
