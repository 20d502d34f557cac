/// What shoppers do against a target: flows of steps, and the mix of flows.
public struct Scenario: Codable, Sendable, Equatable {
    public var name: String
    /// The base URL used when the run does not name one.
    public var target: String?
    /// Named lists of values; each shopper draws one value of each list when it arrives (`{{sku}}`).
    public var data: [DataList]
    public var flows: [Flow]
    /// Requests the coordinator sends once before the run (for example to reset the target's stock).
    public var setup: [Step]?
    /// Where the target's own books are read, for the oversell verdict.
    public var groundTruth: GroundTruthSpec?
    /// A payment-failover drill: the channel simulators, the primary, the faults.
    public var drill: PaymentDrill?
    /// What the run must meet to pass (the CI gate), from the scenario and the command line.
    public var thresholds: [Threshold]?

    public init(
        name: String, target: String? = nil, data: [DataList] = [], flows: [Flow], setup: [Step]? = nil,
        groundTruth: GroundTruthSpec? = nil, drill: PaymentDrill? = nil, thresholds: [Threshold]? = nil
    ) {
        self.thresholds = thresholds
        self.name = name
        self.target = target
        self.data = data
        self.flows = flows
        self.setup = setup
        self.groundTruth = groundTruth
        self.drill = drill
    }

    /// The variables every shopper has before its first step.
    public static let builtinVariables = ["shopper", "flow"]
    /// Variables a burst gives its crowd (`sku`); a data list of that name gives it to everyone else.
    public static let burstVariables = ["sku"]
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
}

/// One request of a flow.
public struct Step: Codable, Sendable, Equatable {
    public var name: String
    public var method: String
    /// The path and query, a template (`/products/{{sku}}`); values are URL-escaped.
    public var path: Template
    public var headers: [Header]
    /// The request body (JSON when the scenario gives a mapping); values are JSON-escaped.
    public var body: Template?
    public var contentType: String?
    /// Values to take from the JSON response into variables for later steps.
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

    public init(
        name: String, method: String = "GET", path: Template, headers: [Header] = [], body: Template? = nil,
        contentType: String? = nil, extract: [Extraction] = [], expect: Expectation = .init(),
        think: ClosedRange<Double> = 0...0, proceed: Double = 1, ledger: LedgerRule? = nil, payment: PaymentRule? = nil
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

public struct Extraction: Codable, Sendable, Equatable {
    public var variable: String
    public var path: ValuePath

    public init(variable: String, path: ValuePath) {
        self.variable = variable
        self.path = path
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
