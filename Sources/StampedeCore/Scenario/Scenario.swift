/// What shoppers do against a target: flows of steps, and the mix of flows.
public struct Scenario: Codable, Sendable, Equatable {
    public var name: String
    /// The base URL used when the run does not name one.
    public var target: String?
    /// Other origins steps may send to with absolute URLs (a static host, a payment host), besides the target.
    public var origins: [String]
    /// Named lists of values; each shopper draws one value of each list when it arrives (`{{sku}}`).
    public var data: [DataList]
    /// Rows of test data kept whole (`{{users.email}}`, `{{users.password}}`).
    public var feeders: [Feeder]
    public var flows: [Flow]
    /// Requests (or SQL statements) the coordinator sends once before the run (for example to reset stock).
    public var setup: [Step]?
    /// Where the target's own books are read, for the oversell verdict.
    public var groundTruth: GroundTruthSpec?
    /// A payment-failover drill: the channel simulators, the primary, the faults.
    public var drill: PaymentDrill?
    /// What the run must meet to pass (the CI gate), from the scenario and the command line.
    public var thresholds: [Threshold]?

    public init(
        name: String, target: String? = nil, origins: [String] = [], data: [DataList] = [], feeders: [Feeder] = [],
        flows: [Flow], setup: [Step]? = nil, groundTruth: GroundTruthSpec? = nil, drill: PaymentDrill? = nil,
        thresholds: [Threshold]? = nil
    ) {
        self.thresholds = thresholds
        self.name = name
        self.target = target
        self.origins = origins
        self.data = data
        self.feeders = feeders
        self.flows = flows
        self.setup = setup
        self.groundTruth = groundTruth
        self.drill = drill
    }

    /// The variables every shopper has before its first step.
    public static let builtinVariables = ["shopper", "flow"]
    /// Variables a burst gives its crowd (`sku`); a data list of that name gives it to everyone else.
    public static let burstVariables = ["sku"]

    /// The variables every shopper starts with: the built-ins, the data lists' and the feeders'.
    public var startingVariables: [String] {
        Self.builtinVariables + Self.burstVariables
            + data.map(\.name).filter { !Self.burstVariables.contains($0) } + feeders.flatMap(\.variables)
    }
}

public struct DataList: Codable, Sendable, Equatable {
    public var name: String
    public var values: [String]

    public init(name: String, values: [String]) {
        self.name = name
        self.values = values
    }
}

/// One kind of shopper: its steps in order, and how often it comes (`weight` relative to the other flows).
public struct Flow: Codable, Sendable, Equatable {
    public var name: String
    public var weight: Double
    public var steps: [Step]

    public init(name: String, weight: Double = 1, steps: [Step]) {
        self.name = name
        self.weight = weight
        self.steps = steps
    }

    /// The first step that needs `variable` while no step before it has taken it from a response. Only steps that
    /// always run count (no `if:`, repeated at least once); a step that may take it, even conditionally, ends the
    /// search.
    public func firstStep(needingUnset variable: String) -> Step? {
        for step in steps {
            if step.condition == nil, step.repeats.lowerBound > 0, step.variablesNeeded.contains(variable) {
                return step
            }
            if step.extract.contains(where: { $0.variable == variable }) { return nil }
        }
        return nil
    }
}

/// One request of a flow.
public struct Step: Codable, Sendable, Equatable {
    public var name: String
    public var method: String
    /// Where the request goes, a template: a path on the target (`/products/{{sku}}`), an absolute URL on the
    /// target or one of the scenario's origins, or a URL a response handed out (`{{payment_url}}`, resolved against
    /// that response). Values are percent-encoded as path segments, except a leading one (a URL).
    public var path: Template
    public var headers: [Header]
    public var body: RequestBody?
    /// The content type sent with the body, when it is not the body's own.
    public var contentType: String?
    /// Values to take from the response into variables for later steps.
    public var extract: [Extraction]
    public var expect: Expectation
    /// The pause after this step before the next, drawn uniformly from the range (seconds).
    public var think: ClosedRange<Double>
    /// The chance that the shopper goes on to the next step after this one succeeds (the funnel).
    public var proceed: Double
    /// What the response means for the books (an order confirmed, or sold out).
    public var ledger: LedgerRule?
    /// What the response means for a payment (paid, and through which channel).
    public var payment: PaymentRule?
    /// The step runs only when this holds (`if:`); otherwise the shopper goes on with the next.
    public var condition: StepCondition?
    /// How many times the step runs in a row (`repeat: 1..3`, drawn per shopper).
    public var repeats: ClosedRange<Int>
    /// Statuses that end the shopper's flow with an outcome (`on_status: {406: sold_out}`).
    public var onStatus: [StatusOutcome]
    /// Redirects followed, at most (0: none); each hop is a request of this step.
    public var followRedirects: Int
    /// For setup steps: an SQL statement run against the books' database instead of a request.
    public var sql: String?

    public init(
        name: String, method: String = "GET", path: Template, headers: [Header] = [], body: RequestBody? = nil,
        contentType: String? = nil, extract: [Extraction] = [], expect: Expectation = .init(),
        think: ClosedRange<Double> = 0...0, proceed: Double = 1, ledger: LedgerRule? = nil, payment: PaymentRule? = nil,
        condition: StepCondition? = nil, repeats: ClosedRange<Int> = 1...1, onStatus: [StatusOutcome] = [],
        followRedirects: Int? = nil, sql: String? = nil
    ) {
        self.name = name
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.contentType = contentType
        self.extract = extract
        self.expect = expect
        self.think = think
        self.proceed = proceed
        self.ledger = ledger
        self.payment = payment
        self.condition = condition
        self.repeats = repeats
        self.onStatus = onStatus
        self.followRedirects = followRedirects ?? (expect.status.contains { (300..<400).contains($0) } ? 0 : 5)
        self.sql = sql
    }

    /// A step whose body is raw text (a template) sent with a content type.
    public init(
        name: String, method: String = "GET", path: Template, headers: [Header] = [], body: Template?,
        contentType: String? = nil, extract: [Extraction] = [], expect: Expectation = .init(),
        think: ClosedRange<Double> = 0...0, proceed: Double = 1, ledger: LedgerRule? = nil, payment: PaymentRule? = nil
    ) {
        self.init(
            name: name, method: method, path: path, headers: headers, body: body.map(RequestBody.raw),
            contentType: contentType, extract: extract, expect: expect, think: think, proceed: proceed, ledger: ledger,
            payment: payment)
    }

    /// Every template the request is made of (for finding a variable without a value).
    public var templates: [Template] {
        [path] + headers.map(\.value) + (body?.templates ?? [])
    }

    /// The variables the step cannot run without: its request's, the SKU its ledger rule books, the order it pays.
    public var variablesNeeded: [String] {
        (templates + [ledger?.sku, payment?.order].compactMap { $0 }).flatMap(\.variables)
    }

    /// The outcome a status ends the flow with, if the step names one.
    public func outcome(for status: Int) -> StatusOutcome.Outcome? {
        onStatus.first { $0.status == status }?.outcome
    }
}

/// `on_status: {406: sold_out}`: a status that ends the shopper's flow with an outcome.
public struct StatusOutcome: Codable, Sendable, Equatable {
    public enum Outcome: String, Codable, Sendable, CaseIterable {
        /// The target said "sold out": a ledger entry for the step's SKU, and the shopper ends without an error.
        case soldOut = "sold_out"
        /// The shopper ends, succeeded.
        case done
        /// The shopper ends, failed (an error of the status's class).
        case fail
    }

    public var status: Int
    public var outcome: Outcome

    public init(status: Int, outcome: Outcome) {
        self.status = status
        self.outcome = outcome
    }
}

public struct Header: Codable, Sendable, Equatable {
    public var name: String
    public var value: Template

    public init(name: String, value: Template) {
        self.name = name
        self.value = value
    }
}

/// What a step's response must look like to count as a success.
public struct Expectation: Codable, Sendable, Equatable {
    /// Accepted status codes; empty accepts any 2xx or 3xx.
    public var status: [Int]
    /// Text the body must contain.
    public var bodyContains: String?

    public init(status: [Int] = [], bodyContains: String? = nil) {
        self.status = status
        self.bodyContains = bodyContains
    }

    public func accepts(status code: Int) -> Bool {
        status.isEmpty ? (200..<400).contains(code) : status.contains(code)
    }
}
