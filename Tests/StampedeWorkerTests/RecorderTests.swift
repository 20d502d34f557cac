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

    @Test func requestsAreRenderedFromTheStep() throws {
        let step = Step(
            name: "order", method: "POST", path: try Template(parsing: "/orders/{{id}}"),
            headers: [Header(name: "x-shopper", value: try Template(parsing: "{{shopper}}"))],
            body: try Template(parsing: #"{"sku":"{{sku}}"}"#), contentType: "application/json")
        var cookies = CookieJar()
        cookies.store(setCookie: "sid=s9; Path=/")
        let request = try #require(
            Shopper.request(for: step, variables: ["id": "a/b", "shopper": "7", "sku": "q\"x"], cookies: cookies))
        #expect(request.method == .POST)
        #expect(request.target == "/orders/a%2Fb")
        #expect(request.headers["x-shopper"] == ["7"])
        #expect(request.headers["cookie"] == ["sid=s9"])
        #expect(request.headers["content-type"] == ["application/json"])
        #expect(request.body.map { String(buffer: $0) } == #"{"sku":"q\"x"}"#)
        #expect(Shopper.request(for: step, variables: ["shopper": "7", "sku": "x"], cookies: cookies) == nil)
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
