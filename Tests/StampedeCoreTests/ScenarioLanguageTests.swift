import Foundation
import Testing

@testable import StampedeCore

/// The pure parts of the scenario language for real checkouts: extraction of every kind, HTML, URLs from
/// responses, conditions, feeders.
struct ExtractionTests {
    static let page = Array(
        #"""
        <!DOCTYPE html><html><head>
        <meta name="csrf-token" content="m&amp;t">
        <meta property="og:title" content='Phone'>
        <script>var s = "<input name='csrfmiddlewaretoken' value='not-this'>";</script>
        </head><body>
        <!-- <input name="csrfmiddlewaretoken" value="commented"> -->
        <form method="post" action="/accounts/login/">
          <INPUT type=hidden VALUE="t0k&#x27;en" name=csrfmiddlewaretoken>
          <input name="empty">
          <textarea name="note">two &lt;lines&gt;</textarea>
          <select name="size"><option value="s">S</option><option value="m" selected>M</option></select>
        </form>
        Order 61 placed. Order 62 queued.
        </body></html>
        """#.utf8)

    static func response(body: [UInt8] = page, headers: [(String, String)] = []) -> ResponseView {
        ResponseView(
            status: 200, headers: headers.map { ($0.0.lowercased(), $0.1) }, body: body,
            cookies: [("sessionid", "s1"), ("csrftoken", "c1")])
    }

    static func values(_ source: Extraction.Source, _ view: ResponseView = response()) throws -> [String] {
        try ExtractionRule(Extraction(variable: "v", source: source)).values(in: view).map(\.text)
    }

    @Test func htmlFieldsAndMetaTags() throws {
        #expect(try Self.values(.formField("csrfmiddlewaretoken")) == ["t0k'en"])
        #expect(try Self.values(.formField("empty")) == [""])
        #expect(try Self.values(.formField("note")) == ["two <lines>"])
        #expect(try Self.values(.formField("size")) == ["m"])
        #expect(try Self.values(.meta("csrf-token")) == ["m&t"])
        #expect(try Self.values(.meta("og:title")) == ["Phone"])
    }

    @Test func regularExpressionsHeadersAndCookies() throws {
        #expect(try Self.values(.regex(pattern: "Order (\\d+)", group: 1)) == ["61", "62"])
        #expect(try Self.values(.regex(pattern: "Order \\d+ placed", group: 0)) == ["Order 61 placed"])
        let view = Self.response(headers: [("Location", "/basket/"), ("X-Id", "1"), ("x-id", "2")])
        #expect(try Self.values(.header("location"), view) == ["/basket/"])
        #expect(try Self.values(.header("X-ID"), view) == ["1", "2"])
        #expect(try Self.values(.cookie("csrftoken")) == ["c1"])
        #expect(throws: TemplateError.self) {
            try ExtractionRule(Extraction(variable: "v", source: .regex(pattern: "(", group: 1)))
        }
    }

    @Test func jsonValuesKeepTheirTypes() throws {
        let view = Self.response(body: Array(#"{"id":61,"ok":true,"lines":[{"id":1},{"id":2}],"who":{"a":1}}"#.utf8))
        let rule = { (path: String, pick: Extraction.Pick) in
            try ExtractionRule(Extraction(variable: "v", source: .json(try ValuePath(parsing: path)), pick: pick))
        }
        var random = SeededRandom(seed: 3, stream: 1)
        #expect(try rule("$.id", .first).value(in: view, random: &random) == .number("61"))
        #expect(try rule("$.ok", .first).value(in: view, random: &random) == .bool(true))
        #expect(
            try rule("$.lines[*].id", .all).value(in: view, random: &random) == .list([.number("1"), .number("2")]))
        #expect(try rule("$.lines[*].id", .last).value(in: view, random: &random) == .number("2"))
        #expect(try rule("$.who", .first).value(in: view, random: &random) == .text(#"{"a":1}"#))
        let picked = try rule("$.lines[*].id", .random).value(in: view, random: &random)
        #expect(picked == .number("1") || picked == .number("2"))
        #expect(try rule("$.nothing", .first).value(in: view, random: &random) == nil)
        // Placeholders in a JSONPath are filled per shopper.
        let bySKU = try ExtractionRule(
            Extraction(variable: "v", source: .json(try ValuePath(parsing: "$.lines[?(@.id == '{{wanted}}')].id"))))
        #expect(bySKU.variables == ["wanted"])
        #expect(bySKU.value(in: view, random: &random) { $0 == "wanted" ? .number("2") : nil } == .number("2"))
        #expect(bySKU.value(in: view, random: &random) { _ in nil } == nil)
        let fallback = try ExtractionRule(
            Extraction(variable: "v", source: .json(try ValuePath(parsing: "$.nothing")), defaultValue: "0"))
        #expect(fallback.value(in: view, random: &random) == .text("0"))
    }
}

struct RequestURLTests {
    static let base = RequestURL(absolute: "http://shop.test:8080/api/orders/61/?x=1#top")!

    /// A target or an origin is nothing but scheme, host and port: `http://127.0.0.1:8080/shop` was taken as
    /// `http://127.0.0.1:8080`, its path dropped without a word.
    @Test func anOriginIsOnlySchemeHostAndPort() {
        #expect(Origin(exactly: "http://127.0.0.1:8080") == Origin(url: "http://127.0.0.1:8080"))
        #expect(Origin(exactly: "https://[::1]:8443/")?.port == 8443)
        for text in ["http://127.0.0.1:8080/shop", "http://127.0.0.1:8080/?x=1", "http://h/#top", "ftp://h", "h:80"] {
            #expect(Origin(exactly: text) == nil, "\(text)")
        }
    }

    @Test func parsesAbsoluteURLs() {
        #expect(Self.base.origin == Origin(url: "http://shop.test:8080"))
        #expect(Self.base.target == "/api/orders/61/?x=1")
        #expect(Self.base.path == "/api/orders/61/")
        #expect(RequestURL(absolute: "https://shop.test")?.target == "/")
        #expect(RequestURL(absolute: "ftp://shop.test/x") == nil)
    }

    @Test(arguments: [
        ("/api/payment/61/", "http://shop.test:8080/api/payment/61/"),
        ("payment/", "http://shop.test:8080/api/orders/61/payment/"),
        ("../../payment/61/", "http://shop.test:8080/api/payment/61/"),
        ("./", "http://shop.test:8080/api/orders/61/"),
        ("?page=2", "http://shop.test:8080/api/orders/61/?page=2"),
        ("//cdn.shop.test/a.png", "http://cdn.shop.test/a.png"),
        ("https://pay.test/p?q=1#f", "https://pay.test/p?q=1"),
        ("/a/./b/../c", "http://shop.test:8080/a/c"),
    ])
    func resolvesReferencesAsRFC3986Says(reference: String, expected: String) {
        #expect(Self.base.resolve(reference)?.description == expected)
    }

    /// What a request line cannot carry is taken as a browser takes it: line breaks and tabs dropped, spaces,
    /// controls and non-ASCII percent-encoded. A URL handed out with `\r\n` in it ended the request line early.
    @Test(arguments: [
        ("/pay/1 HTTP/1.1\r\nX-Admin: 1", "http://shop.test:8080/pay/1%20HTTP/1.1X-Admin:%201"),
        ("/a\tb/\u{7F}?q=x y", "http://shop.test:8080/ab/%7F?q=x%20y"),
        ("/商品/1", "http://shop.test:8080/%E5%95%86%E5%93%81/1"),
        ("/already%20encoded/", "http://shop.test:8080/already%20encoded/"),
    ])
    func aTargetIsSentAsARequestLineCanCarryIt(reference: String, expected: String) {
        #expect(Self.base.resolve(reference)?.description == expected)
        #expect(RequestURL(absolute: "http://shop.test:8080" + reference)?.description == expected)
    }
}

struct StepConditionTests {
    static let values: Variables = [
        "n": .number("3"), "name": .text("phone"), "items": .list([.text("a")]), "empty": .text(""),
        "flag": .bool(false),
    ]

    @Test(arguments: [
        ("{{n}} > 2", true), ("{{n}} >= 10", false), ("{{n}} == 3.0", true), ("{{name}} == 'phone'", true),
        ("{{name}} != \"phone\"", false), ("{{name}} contains 'ho'", true), ("status == 200", true),
        ("status >= 400", false), ("{{items}}", true), ("{{empty}}", false), ("{{flag}}", false),
        ("{{missing}}", false), ("not {{missing}}", true), ("{{n}} > 5 or {{name}} == 'phone'", true),
        ("{{n}} > 1 and {{n}} < 3", false), ("{{items|length}} == 1", true), ("{{missing}} != 1", true),
    ])
    func evaluates(text: String, expected: Bool) throws {
        let condition = try StepCondition(parsing: text)
        #expect(condition.holds(status: 200) { Self.values[$0] } == expected)
    }

    @Test(arguments: [("{{n}} >", 7), ("{{n}} > 1 and", 13), ("banana", 0), ("{{n}} == 'x", 9), ("{{a|zz}} > 1", 2)])
    func refuses(text: String, offset: Int) {
        #expect(throws: StepCondition.ConditionError.self) { try StepCondition(parsing: text) }
        do {
            _ = try StepCondition(parsing: text)
        } catch {
            #expect(error.offset == offset, "\(error.message)")
        }
    }
}

struct FeederTests {
    @Test func csvFollowsRFC4180() throws {
        let (columns, rows) = try FeederFile.csv("\u{FEFF}a,b\r\n1,\"x,\"\"y\"\"\"\r\n\"2\",\"multi\nline\"\n\n")
        #expect(columns == ["a", "b"])
        #expect(rows == [["1", "x,\"y\""], ["2", "multi\nline"]])
        #expect(throws: FeederFile.Problem.self) { try FeederFile.csv("a,b\n1,\"open\n") }
        #expect(throws: FeederFile.Problem(line: 1, message: "the column \"a\" appears twice")) {
            try FeederFile.csv("a,a\n1,2\n")
        }
    }

    @Test func rowsGoToShoppersAsPickSays() {
        let rows = (0..<5).map { ["r\($0)"] }
        var random = SeededRandom(seed: 1, stream: 1)
        let unique = Feeder(name: "u", columns: ["c"], rows: rows, pick: .unique, file: "u.csv")
        #expect(unique.row(for: .shape(0), random: &random) == ["r0"])
        #expect(unique.row(for: .shape(3), random: &random) == ["r3"])
        #expect(unique.row(for: .burst(0), random: &random) == ["r4"])
        #expect(unique.row(for: .burst(1), random: &random) == ["r3"])
        #expect(unique.row(for: .shape(5), random: &random) == nil)
        #expect(unique.shortage(shoppers: 5) == nil)
        #expect(unique.shortage(shoppers: 6)?.contains("has 5 rows for 6 planned shoppers") == true)
        let sequential = Feeder(name: "s", columns: ["c"], rows: rows, pick: .sequential, file: "s.csv")
        #expect(sequential.row(for: .shape(7), random: &random) == ["r2"])
        #expect(sequential.shortage(shoppers: 1_000) == nil)
    }
}

struct HostPortTests {
    @Test(arguments: [
        ("127.0.0.1:7070", "127.0.0.1", 7070, HostPort.Kind.ipv4), ("[::1]:7070", "::1", 7070, .ipv6),
        ("localhost:7070", "localhost", 7070, .name),
        (
            "coordinator.stampede.svc.cluster.local:7070",
            "coordinator.stampede.svc.cluster.local", 7070, .name
        ), (":9", "127.0.0.1", 9, .ipv4),
        ("[fe80::1%eth0]:80", "fe80::1%eth0", 80, .ipv6), ("10.0.0.300:1", "10.0.0.300", 1, .name),
    ])
    func parses(text: String, host: String, port: Int, kind: HostPort.Kind) throws {
        let parsed = try #require(HostPort(text))
        #expect(parsed.host == host && parsed.port == port && parsed.kind == kind)
    }

    @Test(arguments: ["::1:7070", "[::1]", "host", "host:99999", "[127.0.0.1]:80", "a b:1", "host:-1"])
    func refuses(text: String) {
        #expect(HostPort(text) == nil)
    }

    @Test func writesIPv6InBrackets() {
        #expect(HostPort("[::1]:7070")?.description == "[::1]:7070")
        #expect(HostPort("worker-0.stampede:7070")?.description == "worker-0.stampede:7070")
    }
}
