import Foundation
import StampedeConfig
import StampedeCore
import Testing

@testable import StampedeRecorder

/// `stampede scenario from-har`: a recording of the storefront made with Chromium headless (scripts/record-har),
/// and small archives for each kind of value a response hands out.
struct ScenarioDraftTests {
    static let recording = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Recordings/storefront.har")

    static func storefront() throws -> (draft: ScenarioDraft, yaml: String, har: String) {
        let data = try Data(contentsOf: recording)
        let draft = ScenarioDraft.from(try HARFile.decode(data), name: "storefront")
        return (draft, draft.yaml(source: "storefront.har"), String(decoding: data, as: UTF8.self))
    }

    @Test func theStorefrontRecordingBecomesAScenarioThatLoads() throws {
        let (draft, yaml, har) = try Self.storefront()
        #expect(draft.entries == 11)
        #expect(draft.assets == 1)
        #expect(draft.hops == 3)
        #expect(
            draft.steps.map(\.name) == [
                "get-accounts-login", "post-accounts-login", "get-catalogue", "get-catalogue-festival-item-1-1",
                "post-basket-add-id", "post-checkout", "post-checkout-payment-id",
            ])
        // The redirects are followed: each step expects the final answer.
        #expect(draft.steps.allSatisfy { $0.status == 200 })
        // The recording's pauses are the think times.
        #expect(draft.steps.dropLast().allSatisfy { ($0.think ?? 0) >= 0.3 })
        let scenario = try ScenarioLoader.parse(yaml, file: "draft.yaml")
        let steps = scenario.flows[0].steps
        #expect(steps[0].extract.first?.source == .formField("csrfmiddlewaretoken"))
        #expect(steps[6].path.source == "{{payment_url}}")
        guard case .form(let fields)? = steps[1].body else {
            Issue.record("the login is not a form")
            return
        }
        #expect(fields.first?.value.source == "{{csrfmiddlewaretoken}}")
        // No recorded token is left in the draft.
        let token = try #require(har.firstMatch(of: /csrfmiddlewaretoken=([0-9a-z]+)/)?.1)
        #expect(!yaml.contains(String(token)))
        #expect(!yaml.contains("100001"))
        // The typed credentials are named as guesses.
        #expect(draft.guesses.count == 2 + draft.steps.flatMap(\.extractions).filter { $0.guess != nil }.count)
        #expect(draft.guesses[0].hasPrefix("post-accounts-login: login-username was typed in the recording"))
    }

    static func entry(
        _ method: String, _ url: String, at second: Double, status: Int = 200, request: String? = nil,
        requestType: String = "application/json", requestHeaders: [(String, String)] = [],
        response: String = "", responseType: String = "application/json", headers: [(String, String)] = [],
        extra: String = ""
    ) -> String {
        func pairs(_ list: [(String, String)]) -> String {
            "[" + list.map { #"{"name":"\#($0.0)","value":"\#($0.1)"}"# }.joined(separator: ",") + "]"
        }
        let started = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: 1_800_000_000 + second))
        let post =
            request.map { #","postData":{"mimeType":"\#(requestType)","text":\#(VariableValue.text($0).json)}"# } ?? ""
        return #"""
            {"startedDateTime":"\#(started)","time":10,"request":{"method":"\#(method)","url":"\#(url)",
             "headers":\#(pairs(requestHeaders))\#(post)},
             "response":{"status":\#(status),"headers":\#(pairs(headers)),
             "content":{"mimeType":"\#(responseType)","text":\#(VariableValue.text(response).json)}}\#(extra)}
            """#
    }

    static func draft(_ entries: [String]) throws -> ScenarioDraft {
        let text = #"{"log":{"entries":["# + entries.joined(separator: ",") + "]}}"
        return ScenarioDraft.from(try HARFile.decode(Data(text.utf8)), name: "api")
    }

    /// A REST checkout: an id from JSON goes back typed as a number, a relative payment URL is followed, a token
    /// set as a cookie goes back in a header, an absolute URL on another origin is listed.
    @Test func aRESTCheckoutIsCorrelated() throws {
        let base = "http://shop.test:8000"
        let draft = try Self.draft([
            Self.entry(
                "GET", "\(base)/api/products/", at: 0,
                response:
                    #"{"results":[{"id":31,"url":"\#(base)/api/products/31/"},{"id":32,"url":"\#(base)/api/products/32/"}]}"#,
                headers: [("Set-Cookie", "csrftoken=Zq81xk2; Path=/")]),
            Self.entry("GET", "http://cdn.shop.test/app.js", at: 0.1, responseType: "application/javascript"),
            Self.entry(
                "POST", "\(base)/api/basket/add-product/", at: 2,
                request: #"{"url":"\#(base)/api/products/32/","quantity":1}"#,
                requestHeaders: [("X-CSRFToken", "Zq81xk2"), ("Accept", "*/*")],
                response: #"{"id":5,"url":"\#(base)/api/baskets/5/"}"#),
            Self.entry(
                "POST", "\(base)/api/checkout/", at: 3, request: #"{"basket":"\#(base)/api/baskets/5/"}"#,
                requestHeaders: [("X-CSRFToken", "Zq81xk2")],
                response: #"{"number":100061,"payment_url":"/api/payment/100061/"}"#),
            Self.entry(
                "POST", "\(base)/api/payment/100061/", at: 4, request: #"{"order":100061}"#,
                requestHeaders: [("X-CSRFToken", "Zq81xk2")]),
            Self.entry("GET", "https://track.test/pixel", at: 5),
        ])
        #expect(draft.assets == 1)
        #expect(draft.origins.map(\.description) == ["https://track.test"])
        let yaml = draft.yaml(source: "api.har")
        let scenario = try ScenarioLoader.parse(yaml, file: "api.yaml")
        let steps = scenario.flows[0].steps
        #expect(
            steps.map(\.path.source) == [
                "/api/products/", "/api/basket/add-product/", "/api/checkout/", "{{payment_url}}",
                "https://track.test/pixel",
            ])
        #expect(steps[0].extract.map(\.source).contains(.cookie("csrftoken")))
        #expect(steps[1].headers.map(\.name) == ["X-CSRFToken"])
        #expect(steps[1].headers.first?.value.source == "{{csrftoken}}")
        let values: Variables = [
            "url": .text("U"), "csrftoken": .text("T"), "url_2": .text("B"), "number": .number("7"),
        ]
        #expect(steps[1].body?.render { values[$0] }.text == #"{"url":"U","quantity":1}"#)
        #expect(steps[2].body?.render { values[$0] }.text == #"{"basket":"B"}"#)
        #expect(steps[3].body?.render { values[$0] }.text == #"{"order":7}"#)
        #expect(
            steps[0].extract.first { $0.variable == "url" }?.source == .json(try ValuePath(parsing: "$.results[1].url"))
        )
        #expect(draft.guesses.contains { $0.contains("is taken by position ($.results[1].url)") })
        // The pause before the basket, less the product list's 10 ms.
        #expect(draft.steps[0].think == 2.0)
    }

    /// Text a page sent with `{{` in it (a review quoting a template, a Vue snippet) is sent as recorded: it was
    /// read as a placeholder, and the draft did not load ("unknown variable {{x}}", exit 70, "a bug").
    @Test func recordedBracesAndBackslashesAreSentAsRecorded() throws {
        let draft = try Self.draft([
            Self.entry("GET", "http://shop.test/a", at: 0, response: #"{"token":"Zq81xk2"}"#),
            Self.entry(
                "POST", "http://shop.test/b", at: 1,
                request: #"{"review":"use {{name}} and \\{{x}}","path":"C:\\Zq81xk2"}"#,
                requestHeaders: [("X-Note", "a {{b}}"), ("X-Token", "Zq81xk2")]),
            Self.entry(
                "POST", "http://shop.test/c", at: 2, request: "raw {{text}} \\Zq81xk2", requestType: "text/plain",
                requestHeaders: [("X-Token", "Zq81xk2")]),
        ])
        let scenario = try ScenarioLoader.parse(draft.yaml(source: "braces.har"), file: "braces.yaml")
        let steps = scenario.flows[0].steps
        let values: Variables = ["token": .text("T")]
        // The token after a backslash is still a placeholder, and the backslash stays one.
        #expect(steps[1].body?.render { values[$0] }.text == #"{"review":"use {{name}} and \\{{x}}","path":"C:\\T"}"#)
        #expect(steps[1].headers.first?.value.render(text: { _ in nil }).text == "a {{b}}")
        #expect(steps[2].body?.render { values[$0] }.text == "raw {{text}} \\T")
        #expect(steps[1].body?.templates.flatMap(\.variables) == ["token"])
        #expect(steps[2].headers.first?.value.source == "{{token}}")
    }

    /// A request the browser's cache answered never reached the shop, and one with no answer (status 0: aborted)
    /// may not have: both are left out, the second named (status 0 made a draft that did not load: exit 70, "a
    /// bug"). A short id a response named whole (`ord-17`) is taken from it in a path (every shopper paid order
    /// ord-17); a short word that is only somewhere in a page's text (`v2`) is not.
    @Test func whatNeverReachedTheShopIsLeftOutAndAShortIDIsTaken() throws {
        let draft = try Self.draft([
            Self.entry("GET", "http://shop.test/api/v2/products", at: 0, response: #"{"items":[],"note":"api v2"}"#),
            Self.entry("GET", "http://shop.test/api/stock", at: 0.5, extra: #","_fromCache":"memory""#),
            Self.entry(
                "POST", "http://shop.test/orders", at: 1, status: 0, request: "{}",
                extra: #","_error":"net::ERR_ABORTED""#),
            Self.entry(
                "POST", "http://shop.test/orders", at: 2, status: 201, request: "{}", response: #"{"id":"ord-17"}"#),
            Self.entry("POST", "http://shop.test/orders/ord-17/pay", at: 3, request: "{}"),
            Self.entry("GET", "http://shop.test/api/v2/orders", at: 4),
        ])
        #expect(draft.cached == 1 && draft.unanswered == 1)
        let yaml = draft.yaml(source: "r.har")
        #expect(yaml.contains("# Left out: 1 answered by the browser's cache (never sent), 1 with no answer."))
        let scenario = try ScenarioLoader.parse(yaml, file: "r.yaml")
        #expect(
            scenario.flows[0].steps.map(\.path.source) == [
                "/api/v2/products", "/orders", "/orders/{{id}}/pay", "/api/v2/orders",
            ])
        #expect(
            draft.guesses.first
                == "POST http://shop.test/orders at +1 s has no answer in the recording (net::ERR_ABORTED), so it is "
                + "left out: add it back if the shop did take it")
    }

    /// Firefox writes `params: []` beside a form's text: the form was drafted empty (`form:` and nothing), its
    /// CSRF token lost with it.
    @Test func aFormIsReadFromItsTextWhenItsParamsAreEmpty() throws {
        let post = Self.entry(
            "POST", "http://shop.test/login", at: 1, request: "user=a%40b.c&csrf=tok12345",
            requestType: "application/x-www-form-urlencoded")
        let firefox = post.replacingOccurrences(of: #""postData":{"#, with: #""postData":{"params":[],"#)
        #expect(firefox != post)
        let draft = try Self.draft([
            Self.entry("GET", "http://shop.test/login", at: 0, response: #"{"csrf":"tok12345"}"#), firefox,
        ])
        guard case .form(let fields)? = draft.steps[1].body else {
            Issue.record("no form: \(String(describing: draft.steps[1].body))")
            return
        }
        #expect(fields.map(\.name) == ["user", "csrf"])
        #expect(fields.map(\.value) == ["a@b.c", "{{csrf}}"])
    }

    /// An id in a path that no earlier response handed out stays as recorded, and is named: every shopper would
    /// send the recording's order. A short word (`v2`) is not an id.
    @Test func anIDNoResponseHandedOutIsNamed() throws {
        let draft = try Self.draft([
            Self.entry("GET", "http://shop.test/api/v2/products/12345", at: 0, response: #"{"id":"ord-17"}"#),
            Self.entry("GET", "http://shop.test/api/v2/orders/ord-17", at: 1),
            Self.entry("GET", "http://shop.test/api/v2/orders/ord-99/items", at: 2),
        ])
        #expect(
            draft.steps.map(\.url) == [
                "/api/v2/products/12345", "/api/v2/orders/{{id}}", "/api/v2/orders/ord-99/items",
            ])
        #expect(
            draft.guesses == [
                "get-v2-products-id: 12345 in the path looks like an id, and no earlier response handed it out: every "
                    + "shopper sends this one (a data list gives each its own)",
                "get-orders-ord-99-items: ord-99 in the path looks like an id, and no earlier response handed it out: "
                    + "every shopper sends this one (a data list gives each its own)",
            ])
    }

    @Test func aValueNoResponseHandedOutStaysAsRecorded() throws {
        let draft = try Self.draft([
            Self.entry("GET", "http://shop.test/a", at: 0, response: #"{"x":1}"#),
            Self.entry("POST", "http://shop.test/b", at: 1, request: #"{"coupon":"SPRING24"}"#),
        ])
        #expect(draft.steps[1].extractions.isEmpty && draft.steps[0].extractions.isEmpty)
        guard case .json(let json)? = draft.steps[1].body else {
            Issue.record("no JSON body")
            return
        }
        #expect(json == .object([("coupon", .string("SPRING24"))]))
    }
}
