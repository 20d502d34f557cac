import NIOCore
import NIOHTTP1
import StampedeCore
import StampedeHTTP

/// One synthetic customer: follows its flow's steps in order, timing each request from when it was *meant* to
/// start (its arrival, or the end of the previous step plus think time), so a slow target cannot hide its stalls.
struct Shopper {
    let runtime: ScenarioRuntime
    let client: HTTPClient
    let recorder: Recorder
    let plan: Plan
    let runStart: ContinuousClock.Instant
    let requestTimeout: Duration
    let seed: UInt64
    /// Sent as `x-stampede-worker` (with the shopper's number as `x-stampede-shopper`), so the target's logs can
    /// tell workers and shoppers apart.
    let worker: String
    /// One connection per shopper, opened for its first request and closed when it is done.
    var ownConnection = false

    func run(_ arrival: Arrival, slot: Int) async {
        guard ownConnection else { return await follow(arrival, slot: slot, session: nil) }
        let session: HTTPSession
        do {
            session = try client.session(to: runtime.origin)
        } catch {
            return recorder.shopperEnded(slot: slot, .failed(ErrorLabel(rawValue: error.code.label)))
        }
        await follow(arrival, slot: slot, session: session)
        await session.close()
    }

    private func follow(_ arrival: Arrival, slot: Int, session: HTTPSession?) async {
        var random = SeededRandom(seed: seed, stream: arrival.index)
        var flowIndex = runtime.pickFlow(&random)
        if let burst = arrival.burst {
            guard let burstFlow = runtime.burstFlows[burst] else {
                return recorder.shopperEnded(slot: slot, .failed(.request))
            }
            flowIndex = burstFlow
        }
        let flow = runtime.scenario.flows[flowIndex]
        var variables = runtime.initialVariables(shopper: arrival.index, flow: flowIndex, &random)
        if let burst = arrival.burst { variables["sku"] = plan.profile.bursts[burst].sku }
        var cookies = CookieJar()
        var intended = runStart + .seconds(double: arrival.time)
        let shopperID = String(arrival.index)

        for (stepIndex, step) in flow.steps.enumerated() {
            if intended > .now {
                do {
                    try await Task.sleep(until: intended, clock: .continuous)
                } catch {
                    return recorder.shopperEnded(slot: slot, .failed(.cancelled))
                }
            }
            if Task.isCancelled { return recorder.shopperEnded(slot: slot, .failed(.cancelled)) }
            // A crowd's requests count in its burst's slot; everyone else's in the slot of their intended start.
            let requestSlot = arrival.burst == nil ? plan.slotIndex(atReal: (intended - runStart).seconds) : slot
            let stepID = StepID(flow: flowIndex, step: stepIndex)
            // Every request that was due counts in the corrected latency, at the time it ended whatever its outcome;
            // the uncorrected one is the response's own, from the actual send.
            let record = { (outcome: Recorder.RequestOutcome, response: HTTPResponse?) in
                recorder.request(
                    slot: requestSlot, step: stepID, outcome,
                    correctedMicros: ((response?.completedAt ?? ContinuousClock.now) - intended).microseconds,
                    uncorrectedMicros: response.map { ($0.completedAt - $0.sentAt).microseconds })
            }
            let sample = { (label: ErrorLabel, detail: String) in
                recorder.sample(
                    ErrorSample(
                        step: stepID, label: label, detail: detail,
                        at: (ContinuousClock.now - runStart).microseconds))
            }

            guard var request = Self.request(for: step, variables: variables, cookies: cookies) else {
                record(.failed(.request), nil)
                let missing = Self.missingVariable(in: step, variables: variables) ?? "?"
                sample(.request, "the variable \(missing) has no value (no step before set it)")
                return recorder.shopperEnded(slot: slot, .failed(.request))
            }
            request.headers.add(name: "x-stampede-worker", value: worker)
            request.headers.add(name: "x-stampede-shopper", value: shopperID)
            let ledgerSKU = step.ledger.flatMap { $0.sku.render { variables[$0] }.text }
            let paymentOrder = step.payment.flatMap { $0.order.render { variables[$0] }.text }
            let response: HTTPResponse
            do {
                if let session {
                    response = try await session.execute(request, timeout: requestTimeout)
                } else {
                    response = try await client.execute(request, to: runtime.origin, timeout: requestTimeout)
                }
            } catch {
                let label = ErrorLabel(rawValue: error.code.label)
                record(.failed(label), nil)
                sample(label, "\(step.method) \(request.target): \(error.message)")
                let now = (ContinuousClock.now - runStart).microseconds
                if let ledgerSKU { recorder.ledger(sku: ledgerSKU, .failed, atMicros: now) }
                if let paymentOrder { recorder.payment(PaymentEvent(order: paymentOrder, outcome: .unknown, at: now)) }
                return recorder.shopperEnded(slot: slot, .failed(label))
            }
            let body = response.body.readableBytesView
            var verdict = step.expect.verdict(status: response.status, body: body)
            if let rule = step.payment, let paymentOrder {
                let paid = rule.paid.map { $0.matches(status: response.status, body: body) } ?? (verdict == .ok)
                recorder.payment(
                    PaymentEvent(
                        order: paymentOrder, outcome: paid ? .paid : .failed,
                        channel: paid ? rule.channel.flatMap { $0.extract(fromJSON: body) } : nil,
                        at: (response.completedAt - runStart).microseconds))
            }
            if let rule = step.ledger, let ledgerSKU {
                let entry = rule.entry(status: response.status, body: body, stepAccepted: verdict == .ok)
                recorder.ledger(sku: ledgerSKU, entry, atMicros: (response.completedAt - runStart).microseconds)
                if entry == .soldOut {
                    // The target said "sold out": it behaved; the shopper's flow ends here, without an error.
                    record(.ok, response)
                    return recorder.shopperEnded(slot: slot, .succeeded)
                }
                if case .confirmed = entry { verdict = .ok }
            }
            switch verdict {
            case .throttled:
                record(.throttled, response)
                return recorder.shopperEnded(slot: slot, .throttled)
            case .failed(let label):
                record(.failed(label), response)
                sample(label, Self.unexpected(response, step: step, target: request.target))
                return recorder.shopperEnded(slot: slot, .failed(label))
            case .ok:
                break
            }
            for extraction in step.extract {
                guard let value = extraction.path.extract(fromJSON: body) else {
                    record(.failed(.extract), response)
                    sample(
                        .extract,
                        "no value at \(extraction.path.source) for \(extraction.variable) in the answer to "
                            + "\(step.method) \(request.target) (status \(response.status)): \(ErrorSample.excerpt(body))"
                    )
                    return recorder.shopperEnded(slot: slot, .failed(.extract))
                }
                variables[extraction.variable] = value
            }
            for value in response.headers["set-cookie"] { cookies.store(setCookie: value) }
            record(.ok, response)

            let isLast = stepIndex == flow.steps.count - 1
            if isLast || random.nextUnit() >= step.proceed {
                return recorder.shopperEnded(slot: slot, .succeeded)
            }
            let think = step.think.lowerBound + random.nextUnit() * (step.think.upperBound - step.think.lowerBound)
            intended = response.completedAt + .seconds(double: think)
        }
    }

    /// What a response that failed its step's checks was, for a sample.
    static func unexpected(_ response: HTTPResponse, step: Step, target: String) -> String {
        let expected =
            step.expect.status.isEmpty ? "2xx or 3xx" : step.expect.status.map(String.init).joined(separator: " or ")
        var text = "\(step.method) \(target) answered \(response.status)"
        if step.expect.accepts(status: response.status), let needle = step.expect.bodyContains {
            text += " without \"\(needle)\" in its body"
        } else {
            text += " (expected \(expected))"
        }
        return text + ": " + ErrorSample.excerpt(response.body.readableBytesView)
    }

    /// The first variable a step needs that has no value.
    static func missingVariable(in step: Step, variables: [String: String]) -> String? {
        let templates = [step.path] + step.headers.map(\.value) + (step.body.map { [$0] } ?? [])
        for template in templates {
            if let missing = template.render({ variables[$0] }).missing { return missing }
        }
        return nil
    }

    /// Renders a step into a request; nil when a variable has no value.
    static func request(for step: Step, variables: [String: String], cookies: CookieJar) -> HTTPRequest? {
        let (target, missingInPath) = step.path.render(escaping: .url) { variables[$0] }
        guard missingInPath == nil else { return nil }
        var headers = HTTPHeaders()
        headers.add(name: "user-agent", value: StampedeVersion.current)
        for header in step.headers {
            let (value, missing) = header.value.render { variables[$0] }
            guard missing == nil else { return nil }
            headers.add(name: header.name, value: value)
        }
        if let cookie = cookies.header { headers.add(name: "cookie", value: cookie) }
        var body: ByteBuffer? = nil
        if let template = step.body {
            let (text, missing) = template.render(escaping: step.contentType == "application/json" ? .json : .none) {
                variables[$0]
            }
            guard missing == nil else { return nil }
            body = ByteBuffer(string: text)
            if let contentType = step.contentType { headers.replaceOrAdd(name: "content-type", value: contentType) }
        }
        return HTTPRequest(method: HTTPMethod(rawValue: step.method), target: target, headers: headers, body: body)
    }
}
