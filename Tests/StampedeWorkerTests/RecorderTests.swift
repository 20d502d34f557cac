import NIOCore
import NIOHTTP1
import StampedeCore
import StampedeHTTP
import Testing

@testable import StampedeWorker

struct RecorderTests {
    @Test func anIntervalHoldsWhatWasRecordedAndTheNextStartsEmpty() {
        let recorder = Recorder(worker: "w1")
        recorder.arrival(slot: 0, started: true, lagMicros: 250)
        recorder.arrival(slot: 0, started: false, lagMicros: 0)
        recorder.request(slot: 0, step: StepID(flow: 0, step: 0), .ok, correctedMicros: 1_500, uncorrectedMicros: 1_000)
        recorder.request(
            slot: 1, step: StepID(flow: 0, step: 1), .failed(.status5xx), correctedMicros: 9_000,
            uncorrectedMicros: 8_000)
        recorder.request(
            slot: 1, step: StepID(flow: 0, step: 1), .failed(.timeout), correctedMicros: nil, uncorrectedMicros: nil)
        recorder.shopperEnded(slot: 0, .failed(.timeout))
        let first = recorder.close(second: 0, inFlight: 3)
        #expect(first.worker == "w1")
        #expect(first.inFlight == 3)
        #expect(first.slots.count == 1)
        #expect(first.slots[0].counts.planned == 2)
        #expect(first.slots[0].counts.started == 1)
        #expect(first.slots[0].counts.dropped == 1)
        #expect(first.slots[0].counts.failures[.timeout] == 1)
        #expect(first.slots[0].counts.maxStartLagMicros == 250)
        #expect(first.steps.map(\.id) == [StepID(flow: 0, step: 0), StepID(flow: 0, step: 1)])
        #expect(first.steps[1].counts.requests == 2)
        #expect(first.steps[1].counts.errors == [.status5xx: 1, .timeout: 1])
        #expect(first.steps[1].corrected.totalCount == 1)
        let second = recorder.close(second: 1, inFlight: 0)
        #expect(second.slots.isEmpty && second.steps.isEmpty)
        recorder.request(
            slot: 0, step: StepID(flow: 0, step: 0), .throttled, correctedMicros: 700, uncorrectedMicros: 600)
        let third = recorder.close(second: 2, inFlight: 0)
        #expect(third.steps.count == 1)
        #expect(third.steps[0].counts.throttled == 1)
        #expect(third.steps[0].corrected.values.count == 1)
    }

    static func state(_ variables: ShopperVariables) -> Shopper.State {
        Shopper.State(variables: variables, random: SeededRandom(seed: 1, stream: 1))
    }

    static let runtime = ScenarioRuntime(
        scenario: Scenario(name: "s", origins: ["http://static.shop.test:8081"], flows: []),
        origin: Origin(url: "http://127.0.0.1:8080")!)

    /// A body without placeholders is rendered once for the run, and a request sent with it is the request
    /// rendered afresh; a body with one is rendered for each request.
    @Test func aBodyWithoutPlaceholdersIsRenderedOnceForTheRun() throws {
        let constant = Step(
            name: "cart", method: "POST", path: Template(literal: "/cart"),
            body: .json(
                .object([
                    .init(key: "sku", value: .string(Template(literal: "SKU-1"))),
                    .init(key: "qty", value: .literal("1")),
                ])))
        let varying = Step(
            name: "pay", method: "POST", path: Template(literal: "/pay"),
            body: .json(.object([.init(key: "order", value: .string(try Template(parsing: "{{order}}")))])))
        let runtime = ScenarioRuntime(
            scenario: Scenario(name: "s", flows: [Flow(name: "f", steps: [constant, varying])]),
            origin: Origin(url: "http://127.0.0.1:8080")!)
        #expect(runtime.constantBodies[0][0].map { String(buffer: $0) } == #"{"sku":"SKU-1","qty":1}"#)
        #expect(runtime.constantBodies[0][1] == nil)
        let state = Self.state(["shopper": .text("7")])
        let once = try Shopper.request(
            for: constant, state: state, runtime: runtime, worker: "w1", constantBody: runtime.constantBodies[0][0]
        ).get().request
        let rendered = try Shopper.request(for: constant, state: state, runtime: runtime, worker: "w1").get().request
        #expect(once.body == rendered.body)
        #expect(once.headers == rendered.headers)
        #expect(once.headers["content-type"] == ["application/json"])
    }

    @Test func requestsAreRenderedFromTheStep() throws {
        let step = Step(
            name: "order", method: "POST", path: try Template(parsing: "/orders/{{id}}"),
            headers: [Header(name: "x-shopper", value: try Template(parsing: "{{shopper}}"))],
            body: .json(.object([.init(key: "sku", value: .string(try Template(parsing: "{{sku}}")))])))
        var state = Self.state(["id": .text("a/b"), "shopper": .text("7"), "sku": .text("q\"x")])
        state.cookies.store(
            setCookie: "sid=s9; Path=/", from: RequestURL(absolute: "http://127.0.0.1:8080/")!, now: 1_800_000_000)
        let (url, request) = try Shopper.request(for: step, state: state, runtime: Self.runtime, worker: "w1").get()
        #expect(url.description == "http://127.0.0.1:8080/orders/a%2Fb")
        #expect(request.method == .POST)
        #expect(request.target == "/orders/a%2Fb")
        #expect(request.headers["x-shopper"] == ["7"])
        #expect(request.headers["cookie"] == ["sid=s9"])
        #expect(request.headers["content-type"] == ["application/json"])
        #expect(request.body.map { String(buffer: $0) } == #"{"sku":"q\"x"}"#)
        let missing = Shopper.request(
            for: step, state: Self.state(["shopper": .text("7"), "sku": .text("x")]), runtime: Self.runtime,
            worker: "w1")
        #expect(throws: Shopper.BuildFailure.self) { try missing.get() }
    }

    /// A URL a response handed out: relative to that response, absolute on a listed origin, refused elsewhere.
    @Test func urlsFromResponsesResolveAndAreGuarded() throws {
        let step = Step(name: "pay", method: "POST", path: try Template(parsing: "{{payment_url}}"))
        var state = Self.state(["payment_url": .text("../../payment/61/")])
        state.bases["payment_url"] = RequestURL(absolute: "http://127.0.0.1:8080/api/orders/61/")
        #expect(
            try Shopper.request(for: step, state: state, runtime: Self.runtime, worker: "w1").get().url.description
                == "http://127.0.0.1:8080/api/payment/61/")
        state.variables["payment_url"] = .text("http://static.shop.test:8081/img/1.png")
        #expect(
            try Shopper.request(for: step, state: state, runtime: Self.runtime, worker: "w1").get().url.origin
                == Origin(url: "http://static.shop.test:8081"))
        state.variables["payment_url"] = .text("http://evil.test/steal")
        let refused = Shopper.request(for: step, state: state, runtime: Self.runtime, worker: "w1")
        guard case .failure(let failure) = refused else {
            Issue.record("an unlisted origin was allowed")
            return
        }
        #expect(failure.label == .origin)
    }
}

struct RecorderSecondsTests {
    /// The close of second 0 is a little late and an arrival due in second 1 comes first: it counts in second 1.
    @Test func anArrivalCountsInTheSecondItWasDueIn() {
        let recorder = Recorder(worker: "w1")
        recorder.arrival(slot: 0, started: true, lagMicros: 10, dueSecond: 0)
        recorder.arrival(slot: 0, started: true, lagMicros: 10, dueSecond: 1)
        let first = recorder.close(second: 0, inFlight: 0)
        #expect(first.slots.map(\.counts.started) == [1])
        let second = recorder.close(second: 1, inFlight: 0)
        #expect(second.slots.map(\.counts.started) == [1])
        // The last interval takes whatever was counted ahead.
        recorder.arrival(slot: 2, started: false, lagMicros: 0, dueSecond: 3)
        let last = recorder.close(second: 2, inFlight: 0, last: true)
        #expect(last.slots.map(\.counts.dropped) == [1])
    }

    @Test func theFirstFailureOfEachKindPerStepIsKept() {
        let recorder = Recorder(worker: "w1")
        let step = StepID(flow: 0, step: 1)
        recorder.sample(ErrorSample(step: step, label: .extract, detail: "first", at: 10))
        recorder.sample(ErrorSample(step: step, label: .extract, detail: "second", at: 20))
        recorder.sample(ErrorSample(step: step, label: .timeout, detail: "other", at: 30))
        let interval = recorder.close(second: 0, inFlight: 0)
        #expect(interval.samples.map(\.detail) == ["first", "other"])
        #expect(recorder.close(second: 1, inFlight: 0).samples.isEmpty)
        #expect(ErrorSample.excerpt(Array("{\"a\":\n1}".utf8)) == "\"{\"a\": 1}\"")
    }
}
