import Foundation
import NIOCore
import NIOHTTP1
import StampedeCore
import StampedeHTTP

/// One synthetic customer: follows its flow's steps in order, timing each request from when it was *meant* to
/// start (its arrival, or the end of the previous request plus think time), so a slow target cannot hide its
/// stalls. It keeps cookies across origins, follows redirects (each hop a request of its step), takes values from
/// responses, and resolves URLs the responses hand out.
///
/// One per run, shared by all its shoppers (a class: a shopper's task holds one reference, not a copy of each
/// field); what is each shopper's own is its ``ShopperProgress``.
final class Shopper: Sendable {
    let runtime: ScenarioRuntime
    let client: HTTPClient
    let recorder: Recorder
    let plan: Plan
    let runStart: ContinuousInstant
    let requestTimeout: Duration
    let seed: UInt64
    /// Sent as `x-stampede-worker` (with the shopper's number as `x-stampede-shopper`), so the target's logs can
    /// tell workers and shoppers apart.
    let worker: String
    /// One connection per shopper (to the target), opened for its first request and closed when it is done.
    let ownConnection: Bool
    /// The shared pool's route to the target (nil if the client refused it: its requests then fail through
    /// `client`, saying why).
    let target: HTTPRoute?

    init(
        runtime: ScenarioRuntime, client: HTTPClient, recorder: Recorder, plan: Plan, runStart: ContinuousInstant,
        requestTimeout: Duration, seed: UInt64, worker: String, ownConnection: Bool
    ) {
        self.runtime = runtime
        self.client = client
        self.recorder = recorder
        self.plan = plan
        self.runStart = runStart
        self.requestTimeout = requestTimeout
        self.seed = seed
        self.worker = worker
        self.ownConnection = ownConnection
        self.target = try? client.route(to: runtime.origin)
    }

    /// What a shopper carries from step to step.
    struct State: Sendable {
        var variables: ShopperVariables
        var cookies = CookieJar()
        /// The URL of the response each variable was taken from, to resolve a relative URL it holds.
        var bases: [String: RequestURL] = [:]
        /// The last response's status and URL.
        var lastStatus: Int?
        var lastURL: RequestURL?
        var random: SeededRandom
    }

    /// How a step ended for the shopper.
    enum StepEnd {
        /// Go on: the next request is meant to start at this instant (the response's end) plus think time.
        case next(ContinuousInstant)
        case end(Recorder.ShopperOutcome)
    }

    /// A think longer than this parks the shopper (``ShopperLeg/thinking(_:)``) instead of sleeping in its task.
    static let parkAfter: Duration = .milliseconds(50)

    /// A new shopper: picks its flow, draws its variables, opens its own connection if it has one; nil when it
    /// could not start (counted as failed). Synchronous: a task's async frames are its memory.
    func begin(_ arrival: Arrival, slot: Int, loop: Int) -> ShopperProgress? {
        var random = SeededRandom(seed: seed, stream: arrival.index)
        var flowIndex = runtime.pickFlow(&random)
        if let burst = arrival.burst {
            guard let burstFlow = runtime.burstFlows[burst] else {
                recorder.shopperEnded(slot: slot, .failed(.request))
                return nil
            }
            flowIndex = burstFlow
        }
        guard var variables = runtime.initialVariables(arrival, flow: flowIndex, &random) else {
            recorder.sample(
                ErrorSample(
                    step: StepID(flow: flowIndex, step: 0), label: .request,
                    detail: "no feeder row is left for shopper \(arrival.index) (pick: unique)",
                    at: ContinuousInstant.now.microseconds(since: runStart)))
            recorder.shopperEnded(slot: slot, .failed(.request))
            return nil
        }
        if let burst = arrival.burst { variables["sku"] = .text(plan.profile.bursts[burst].sku) }
        let progress = ShopperProgress(
            arrival: arrival, slot: slot, loop: loop, flow: flowIndex,
            state: State(variables: variables, random: random), intended: runStart + .seconds(double: arrival.time))
        if ownConnection {
            do {
                progress.session = try client.session(to: runtime.origin)
            } catch {
                recorder.shopperEnded(slot: slot, .failed(ErrorLabel(rawValue: error.code.label)))
                return nil
            }
        }
        return progress
    }

    /// Follows the flow from where `progress` is: each step's condition, its repetitions, the think time between
    /// requests; a short think is slept here, a long one hands the shopper back to be parked.
    func go(_ progress: ShopperProgress) async -> ShopperLeg {
        let stepCount = runtime.scenario.flows[progress.flow].steps.count
        while progress.step < stepCount {
            let times: Int
            if let drawn = progress.times {
                times = drawn
            } else {
                guard let drawn = enterStep(progress) else {
                    progress.step += 1
                    continue
                }
                times = drawn
            }
            if progress.repetition < times {
                let wait = progress.intended - .now
                if wait > Self.parkAfter && !Task.isCancelled { return .thinking(progress) }
                if wait > .zero {
                    do {
                        try await Task.sleep(until: progress.intended.continuous, clock: .continuous)
                    } catch {
                        return await end(progress, .failed(.cancelled))
                    }
                }
                if Task.isCancelled { return await end(progress, .failed(.cancelled)) }
                // A crowd's requests count in its burst's slot; everyone else's in the slot of their intended start.
                let requestSlot =
                    progress.arrival.burst == nil
                    ? plan.slotIndex(atReal: (progress.intended - runStart).seconds) : progress.slot
                let result = await perform(
                    StepID(flow: progress.flow, step: progress.step), state: &progress.state,
                    intended: progress.intended, slot: requestSlot, session: progress.session)
                switch result {
                case .end(let outcome):
                    return await end(progress, outcome)
                case .next(let completedAt):
                    progress.repetition += 1
                    let isLastRequest = progress.step == stepCount - 1 && progress.repetition == times
                    if isLastRequest { return await end(progress, .ok) }
                    // The step looked up again, not kept across the request: an async frame holds what it keeps.
                    let think = runtime.scenario.flows[progress.flow].steps[progress.step].think
                    let thought =
                        think.lowerBound + progress.state.random.nextUnit() * (think.upperBound - think.lowerBound)
                    progress.intended = completedAt + .seconds(double: thought)
                }
                continue
            }
            if progress.state.random.nextUnit() >= runtime.scenario.flows[progress.flow].steps[progress.step].proceed {
                return await end(progress, .ok)
            }
            progress.step += 1
            progress.repetition = 0
            progress.times = nil
        }
        return await end(progress, .ok)
    }

    /// The shopper reaches its step: how many times the step repeats, or nil when its condition skips it. (The
    /// step is read in place, not copied: a step is many references to retain.)
    @inline(never)
    private func enterStep(_ progress: ShopperProgress) -> Int? {
        let condition = runtime.scenario.flows[progress.flow].steps[progress.step].condition
        if let condition,
            !condition.holds(
                status: progress.state.lastStatus, { [variables = progress.state.variables] in variables[$0] })
        {
            return nil
        }
        let repeats = runtime.scenario.flows[progress.flow].steps[progress.step].repeats
        let times = repeats.lowerBound + Int(progress.state.random.next() % UInt64(repeats.count))
        progress.times = times
        return times
    }

    /// The shopper is done: its outcome counted, its own connection closed.
    func end(_ progress: ShopperProgress, _ outcome: Recorder.ShopperOutcome) async -> ShopperLeg {
        recorder.shopperEnded(slot: progress.slot, outcome)
        await progress.session?.close()
        return .ended
    }

    /// A step's request in flight: where it goes, what it is, when it was due, and what the step tells the ledger
    /// and the payments about it.
    struct Exchange {
        var id: StepID
        var slot: Int
        var url: RequestURL
        var request: HTTPRequest
        /// When the request was due: the step's intended start, or the previous answer for a redirect's hop.
        var meant: ContinuousInstant
        var hops = 0
        var ledgerSKU: String?
        var paymentOrder: String?
    }

    /// One step: its request (and the redirects after it), the checks, the ledger and payment, the extractions.
    /// Only the sending waits; what comes before and after is synchronous (an async function's frame holds all
    /// its locals, allocated per task).
    private func perform(
        _ id: StepID, state: inout State, intended: ContinuousInstant, slot: Int, session: HTTPSession?
    ) async -> StepEnd {
        var exchange: Exchange
        switch begin(id, state: state, intended: intended, slot: slot) {
        case .success(let begun): exchange = begun
        case .failure(let end): return end.end
        }
        while true {
            let result = await send(exchange.request, to: exchange.url, meant: exchange.meant, session: session)
            if let end = answered(result, state: &state, exchange: &exchange) { return end }
        }
    }

    // The step is looked up in these two, not in `perform`, and they are never inlined into it: what an async
    // function materialises, a step or an inlined callee's locals, is in its frame, allocated per task. With them
    // inlined, `go`'s frame (with `perform` and `send` in it) was 3,984 bytes; it is 944 (docs/http.md).

    @inline(never)
    private func begin(
        _ id: StepID, state: State, intended: ContinuousInstant, slot: Int
    ) -> Result<Exchange, Unsent> {
        begin(runtime.scenario.flows[id.flow].steps[id.step], id: id, state: state, intended: intended, slot: slot)
    }

    @inline(never)
    private func answered(
        _ result: Result<HTTPResponse, HTTPClientError>, state: inout State, exchange: inout Exchange
    ) -> StepEnd? {
        answered(
            result, step: runtime.scenario.flows[exchange.id.flow].steps[exchange.id.step], state: &state,
            exchange: &exchange)
    }

    /// The response, or why there is none. The timeout runs from when the request was meant to start: a shopper
    /// whose arrival was held while requests waited for a connection has waited part of it already (as it did
    /// when it waited in the pool's queue), and one held past it is not sent at all.
    private func send(
        _ request: HTTPRequest, to url: RequestURL, meant: ContinuousInstant, session: HTTPSession?
    ) async -> Result<HTTPResponse, HTTPClientError> {
        let timeout = requestTimeout - max(.zero, .now - meant)
        guard timeout > .zero else {
            return .failure(
                HTTPClientError(.timeout, "no connection to \(url.origin) became free before the deadline"))
        }
        do throws(HTTPClientError) {
            if url.origin == runtime.origin {
                if let session { return .success(try await session.execute(request, timeout: timeout)) }
                if let target { return .success(try await target.execute(request, timeout: timeout)) }
            }
            return .success(try await client.execute(request, to: url.origin, timeout: timeout))
        } catch {
            return .failure(error.saidWithTimeout(requestTimeout))
        }
    }

    /// A step ended before its request was sent.
    struct Unsent: Error {
        var end: StepEnd
    }

    /// The step's request, rendered; a step whose request cannot be built fails.
    private func begin(
        _ step: Step, id: StepID, state: State, intended: ContinuousInstant, slot: Int
    ) -> Result<Exchange, Unsent> {
        switch Self.request(
            for: step, state: state, runtime: runtime, worker: worker,
            constantBody: runtime.constantBodies[id.flow][id.step])
        {
        case .success(let built):
            // A local function, not a closure in a constant: only ever passed as a non-escaping argument, its
            // context stays on the stack (a closure constant's context was an allocation a request).
            func lookup(_ name: String) -> VariableValue? { state.variables[name] }
            return .success(
                Exchange(
                    id: id, slot: slot, url: built.url, request: built.request, meant: intended,
                    ledgerSKU: step.ledger.map { $0.sku.render(lookup).text },
                    paymentOrder: step.payment.map { $0.order.render(lookup).text }))
        case .failure(let failure):
            recorder.request(
                slot: slot, step: id, .failed(failure.label),
                correctedMicros: ContinuousInstant.now.microseconds(since: intended), uncorrectedMicros: nil)
            sample(id, failure.label, failure.detail)
            return .failure(Unsent(end: .end(.failed(failure.label))))
        }
    }

    private func record(
        _ exchange: Exchange, _ outcome: Recorder.RequestOutcome, _ response: HTTPResponse?
    ) {
        recorder.request(
            slot: exchange.slot, step: exchange.id, outcome,
            correctedMicros: (response?.completedAt ?? ContinuousInstant.now).microseconds(since: exchange.meant),
            uncorrectedMicros: response.map { $0.completedAt.microseconds(since: $0.sentAt) })
    }

    private func sample(_ id: StepID, _ label: ErrorLabel, _ detail: String) {
        recorder.sample(
            ErrorSample(step: id, label: label, detail: detail, at: ContinuousInstant.now.microseconds(since: runStart))
        )
    }

    /// What an answer (or its absence) means: the step's end, or nil with `exchange` turned into the next hop of a
    /// redirect.
    private func answered(
        _ result: Result<HTTPResponse, HTTPClientError>, step: Step, state: inout State, exchange: inout Exchange
    ) -> StepEnd? {
        let response: HTTPResponse
        switch result {
        case .success(let answer): response = answer
        case .failure(let error):
            let label = ErrorLabel(rawValue: error.code.label)
            record(exchange, .failed(label), nil)
            sample(exchange.id, label, "\(exchange.request.method.rawValue) \(shown(exchange.url)): \(error.message)")
            let now = ContinuousInstant.now.microseconds(since: runStart)
            if let ledgerSKU = exchange.ledgerSKU, step.ledger?.confirms == true {
                recorder.ledger(sku: ledgerSKU, .failed, atMicros: now)
            }
            if let paymentOrder = exchange.paymentOrder {
                recorder.payment(PaymentEvent(order: paymentOrder, outcome: .unknown, at: now))
            }
            return .end(.failed(label))
        }
        let url = exchange.url
        let request = exchange.request
        let setCookies = response.headers["set-cookie"]
        if !setCookies.isEmpty {
            let now = Date().timeIntervalSince1970
            for value in setCookies { state.cookies.store(setCookie: value, from: url, now: now) }
        }
        state.lastStatus = response.status
        state.lastURL = url
        guard [301, 302, 303, 307, 308].contains(response.status), exchange.hops < step.followRedirects,
            let location = response.headers.first(name: "location")
        else { return conclude(response, step: step, state: &state, exchange: exchange) }
        // A hop: counted as a request of this step, timed from when it was due (the previous answer).
        guard let next = url.resolve(location) else {
            record(exchange, .failed(.check), response)
            sample(
                exchange.id, .check,
                "\(request.method.rawValue) \(shown(url)) redirected to \(location), which is not an http(s) URL")
            return .end(.failed(.check))
        }
        guard runtime.allowedOrigins.contains(next.origin) else {
            record(exchange, .failed(.origin), response)
            sample(
                exchange.id, .origin,
                "\(shown(url)) redirected to \(next), whose origin the scenario does not list under origins:")
            return .end(.failed(.origin))
        }
        record(exchange, .ok, response)
        exchange.hops += 1
        exchange.meant = response.completedAt
        let keepsMethod = response.status == 307 || response.status == 308
        var headers = HTTPHeaders()
        for (name, value) in request.headers
        where !["cookie", "content-type", "content-length"].contains(name.lowercased()) {
            headers.add(name: name, value: value)
        }
        if keepsMethod, let type = request.headers.first(name: "content-type") {
            headers.add(name: "content-type", value: type)
        }
        if let cookie = state.cookies.header(
            for: next, method: keepsMethod ? request.method.rawValue : "GET", site: runtime.origin.host,
            now: Date().timeIntervalSince1970)
        {
            headers.add(name: "cookie", value: cookie)
        }
        exchange.request = HTTPRequest(
            method: keepsMethod ? request.method : .GET, target: next.target, headers: headers,
            body: keepsMethod ? request.body : nil)
        exchange.url = next
        return nil
    }

    /// The final answer of a step: the checks, the outcomes, the payment and the ledger, the extractions.
    private func conclude(
        _ answer: HTTPResponse, step: Step, state: inout State, exchange: Exchange
    ) -> StepEnd {
        let url = exchange.url
        let rules = runtime.extractions[exchange.id.flow][exchange.id.step]
        var response = answer
        // A compressed body is inflated for whatever reads it: the checks, the rules, the extractions, an error's
        // sample. A step that reads a body it cannot inflate fails, saying why.
        let readsBody = !rules.isEmpty || step.expect.bodyContains != nil || step.payment != nil || step.ledger != nil
        if readsBody || !step.expect.accepts(status: response.status) {
            switch ContentCoding.body(of: response) {
            case .success(let body): response.body = body
            case .failure(let failure) where readsBody && step.expect.accepts(status: response.status):
                record(exchange, .failed(.protocol), response)
                sample(
                    exchange.id, .protocol,
                    "the answer to \(exchange.request.method.rawValue) \(shown(url)) (status \(response.status)): "
                        + failure.reason)
                return .end(.failed(.protocol))
            case .failure: break
            }
        }
        let body = response.body.readableBytesView
        var verdict = step.expect.verdict(status: response.status, body: body)
        let at = response.completedAt.microseconds(since: runStart)
        if let outcome = step.outcome(for: response.status) {
            switch outcome {
            case .soldOut:
                if let ledgerSKU = exchange.ledgerSKU { recorder.ledger(sku: ledgerSKU, .soldOut, atMicros: at) }
                record(exchange, .ok, response)
                return .end(.ok)
            case .done:
                record(exchange, .ok, response)
                return .end(.ok)
            case .fail:
                let label: ErrorLabel =
                    response.status >= 500 ? .status5xx : response.status >= 400 ? .status4xx : .check
                record(exchange, .failed(label), response)
                sample(exchange.id, label, Self.unexpected(response, step: step, url: shown(url)))
                return .end(.failed(label))
            }
        }
        if let rule = step.payment, let paymentOrder = exchange.paymentOrder {
            let paid = rule.paid.map { $0.matches(status: response.status, body: body) } ?? (verdict == .ok)
            recorder.payment(
                PaymentEvent(
                    order: paymentOrder, outcome: paid ? .paid : .failed,
                    channel: paid ? rule.channel.flatMap { $0.extract(fromJSON: body) } : nil, at: at))
        }
        if let rule = step.ledger, let ledgerSKU = exchange.ledgerSKU,
            let entry = rule.entry(status: response.status, body: body, stepAccepted: verdict == .ok)
        {
            recorder.ledger(sku: ledgerSKU, entry, atMicros: at)
            if entry == .soldOut {
                // The target said "sold out": it behaved; the shopper's flow ends here, without an error.
                record(exchange, .ok, response)
                return .end(.ok)
            }
            if case .confirmed = entry { verdict = .ok }
        }
        switch verdict {
        case .throttled:
            record(exchange, .throttled, response)
            return .end(.throttled)
        case .failed(let label):
            record(exchange, .failed(label), response)
            sample(exchange.id, label, Self.unexpected(response, step: step, url: shown(url)))
            return .end(.failed(label))
        case .ok:
            break
        }
        if !rules.isEmpty {
            let setCookies = response.headers["set-cookie"].compactMap { header -> (name: String, value: String)? in
                guard let pair = header.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else {
                    return nil
                }
                return (
                    pair[..<equals].trimmingCharacters(in: .whitespaces),
                    pair[pair.index(after: equals)...].trimmingCharacters(in: .whitespaces)
                )
            }
            let jar = state.cookies.matching(url, now: Date().timeIntervalSince1970).map { ($0.name, $0.value) }
            let view = ResponseView(
                status: response.status, headers: response.headers.map { ($0.name.lowercased(), $0.value) },
                body: Array(body),
                parseJSON: rules.contains { if case .json = $0.extraction.source { true } else { false } },
                cookies: setCookies + jar)
            for rule in rules {
                let known = state.variables
                guard let value = rule.value(in: view, random: &state.random, { known[$0] }) else {
                    record(exchange, .failed(.extract), response)
                    sample(
                        exchange.id, .extract,
                        "no value at \(rule.extraction.source) for \(rule.extraction.variable) in the answer to "
                            + "\(exchange.request.method.rawValue) \(shown(url)) (status \(response.status)): "
                            + ErrorSample.excerpt(body))
                    return .end(.failed(.extract))
                }
                state.variables[rule.extraction.variable] = value
                state.bases[rule.extraction.variable] = url
            }
        }
        record(exchange, .ok, response)
        return .next(response.completedAt)
    }

    /// Why a request could not be built.
    struct BuildFailure: Error {
        var label: ErrorLabel
        var detail: String
    }

    /// Renders a step into its URL and request, with the shopper's variables and cookies. `constantBody` is the
    /// step's body rendered once, when it has no placeholder (``ScenarioRuntime/constantBodies``).
    static func request(
        for step: Step, state: State, runtime: ScenarioRuntime, worker: String, constantBody: ByteBuffer? = nil
    ) -> Result<(url: RequestURL, request: HTTPRequest), BuildFailure> {
        let variables = state.variables
        func lookup(_ name: String) -> VariableValue? { variables[name] }  // no allocation: see `begin`
        let (rendered, problem) = step.path.render(escaping: .segment, leading: .path, lookup)
        if let problem { return .failure(BuildFailure(label: .request, detail: problem.description)) }
        let url: RequestURL
        if rendered.hasPrefix("/") && !rendered.hasPrefix("//") {
            url = RequestURL(origin: runtime.origin, target: rendered)
        } else {
            // A URL a response handed out: absolute, or relative to the response it came from.
            let base =
                step.path.variables.first.flatMap { state.bases[$0] } ?? state.lastURL
                ?? RequestURL(origin: runtime.origin, target: "/")
            guard let resolved = base.resolve(rendered) else {
                return .failure(BuildFailure(label: .request, detail: "\"\(rendered)\" is not an http(s) URL"))
            }
            url = resolved
        }
        guard url.origin == runtime.origin || runtime.allowedOrigins.contains(url.origin) else {
            return .failure(
                BuildFailure(
                    label: .origin,
                    detail: "\(url) goes to \(url.origin), which is neither the target nor one of the scenario's "
                        + "origins:"))
        }
        // Built from the array: `add` checks each name for non-ASCII bytes, and these are known.
        var fixed: [(String, String)] = []
        fixed.reserveCapacity(5 + step.headers.count)
        fixed.append(("user-agent", StampedeVersion.current))
        fixed.append(("x-stampede-worker", worker))
        fixed.append(("x-stampede-shopper", variables.shopper))
        var headers = HTTPHeaders(consume fixed)
        for header in step.headers {
            let (value, problem) = header.value.render(lookup)
            if let problem { return .failure(BuildFailure(label: .request, detail: problem.description)) }
            // A value taken from a response may hold a line break: sent, it would end the header there and start
            // another (`X-Token: a` then `X-Admin: 1`). The scenario's own text is checked when it is read.
            if value.utf8.contains(where: { $0 == 13 || $0 == 10 || $0 == 0 }) {
                return .failure(
                    BuildFailure(
                        label: .request,
                        detail: "the header \(header.name)'s value holds a line break (or NUL), from "
                            + header.value.variables.map { "{{\($0)}}" }.joined(separator: ", ") + ": not sent"))
            }
            headers.replaceOrAdd(name: header.name, value: value)
        }
        if !state.cookies.isEmpty,
            let cookie = state.cookies.header(
                for: url, method: step.method, site: runtime.origin.host, now: Date().timeIntervalSince1970)
        {
            headers.add(name: "cookie", value: cookie)
        }
        var body: ByteBuffer? = nil
        if let requestBody = step.body {
            if let constantBody {
                body = constantBody
            } else {
                let (text, problem) = requestBody.render(lookup)
                if let problem { return .failure(BuildFailure(label: .request, detail: problem.description)) }
                body = ByteBuffer(string: text)
            }
            if let contentType = step.contentType ?? requestBody.contentType {
                headers.replaceOrAdd(name: "content-type", value: contentType)
            }
        }
        return .success(
            (
                url,
                HTTPRequest(method: HTTPMethod(rawValue: step.method), target: url.target, headers: headers, body: body)
            ))
    }

    /// A URL in a sample: its path on the target, or the whole URL elsewhere.
    func shown(_ url: RequestURL) -> String {
        url.origin == runtime.origin ? url.target : url.description
    }

    /// What a response that failed its step's checks was, for a sample.
    static func unexpected(_ response: HTTPResponse, step: Step, url: String) -> String {
        let expected =
            step.expect.status.isEmpty ? "2xx or 3xx" : step.expect.status.map(String.init).joined(separator: " or ")
        var text = "\(step.method) \(url) answered \(response.status)"
        if step.expect.accepts(status: response.status), let needle = step.expect.bodyContains {
            text += " without \"\(needle)\" in its body"
        } else {
            text += " (expected \(expected))"
        }
        return text + ": " + ErrorSample.excerpt(response.body.readableBytesView)
    }
}
