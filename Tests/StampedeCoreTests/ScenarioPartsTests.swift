import Testing

@testable import StampedeCore

struct TemplateTests {
    @Test func rendersVariablesWithEscaping() throws {
        let template = try Template(parsing: "/orders/{{ id }}/pay?x={{sku}}")
        #expect(template.variables == ["id", "sku"])
        let values = ["id": "a b/c", "sku": "SKU-1"]
        #expect(template.render(escaping: .url) { values[$0] }.text == "/orders/a%20b%2Fc/pay?x=SKU-1")
        let json = try Template(parsing: #"{"note":"{{n}}"}"#)
        #expect(json.render(escaping: .json) { _ in "say \"hi\"\n" }.text == #"{"note":"say \"hi\"\n"}"#)
    }

    @Test func reportsTheFirstMissingVariable() throws {
        let rendered = try Template(parsing: "{{a}}-{{b}}").render { $0 == "a" ? "1" : nil }
        #expect(rendered.missing == "b")
    }

    @Test(arguments: ["{{", "x {{ y", "{{}}", "{{a b}}"])
    func refusesBrokenPlaceholders(source: String) {
        #expect(throws: TemplateError.self) { try Template(parsing: source) }
    }
}

struct ValuePathTests {
    static let body = Array(
        #"{"id":"ord-7","n":12,"price":1.5,"ok":true,"items":[{"sku":"A"},{"sku":"B"}],"none":null}"#.utf8)

    @Test(arguments: [
        ("$.id", "ord-7"), ("id", "ord-7"), ("n", "12"), ("price", "1.5"), ("ok", "true"), ("$.items[1].sku", "B"),
        ("items[0].sku", "A"),
    ])
    func extracts(path: String, value: String) throws {
        #expect(try ValuePath(parsing: path).extract(fromJSON: Self.body) == value)
    }

    @Test(arguments: ["missing", "items[5].sku", "items.sku", "none", "items"])
    func missingValuesAreNil(path: String) throws {
        #expect(try ValuePath(parsing: path).extract(fromJSON: Self.body) == nil)
    }

    @Test func aBodyThatIsNotJSONGivesNil() throws {
        #expect(try ValuePath(parsing: "id").extract(fromJSON: Array("<html>".utf8)) == nil)
    }

    @Test(arguments: ["", "$.", "a[x]", "a[-1]", "a..b"])
    func refusesBadPaths(path: String) {
        #expect(throws: TemplateError.self) { try ValuePath(parsing: path) }
    }
}

struct JSONValueTests {
    @Test(arguments: [
        #"{"a":[1,2,{"b":null}],"c":"\u00e9\ud83d\ude00","d":-1.5e3}"#, "[]", "{}", "\"x\"", "0", "true",
    ])
    func parsesValidDocuments(text: String) {
        #expect(JSONValue(parsing: Array(text.utf8)) != nil)
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\"}", "01x", "\"\\x\"", "\"a", "nul", "{\"a\":1}}", "\"\\ud83d\"", "1.", "-",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func refusesInvalidDocuments(text: String) {
        #expect(JSONValue(parsing: Array(text.utf8)) == nil)
    }

    @Test func decodesEscapes() {
        #expect(JSONValue(parsing: Array(#""a\"b\\c\u00e9\ud83d\ude00""#.utf8)) == .string("a\"b\\cé😀"))
    }
}

struct CookieJarTests {
    @Test func storesReplacesAndExpires() {
        var jar = CookieJar()
        #expect(jar.header == nil)
        jar.store(setCookie: "sid=s1; Path=/; HttpOnly")
        jar.store(setCookie: "theme=dark")
        #expect(jar.header == "sid=s1; theme=dark")
        jar.store(setCookie: "sid=s2; Path=/")
        #expect(jar.header == "theme=dark; sid=s2")
        jar.store(setCookie: "theme=; Max-Age=0")
        #expect(jar.header == "sid=s2")
        jar.store(setCookie: "garbage")
        #expect(jar.header == "sid=s2")
    }
}

struct VerdictTests {
    @Test(arguments: [
        (200, [Int](), ResponseVerdict.ok), (302, [], .ok), (429, [], .throttled), (503, [], .failed(.status5xx)),
        (404, [], .failed(.status4xx)), (200, [201], .failed(.check)), (409, [201, 409], .ok),
        (429, [429], .ok), (101, [], .failed(.check)),
    ])
    func classifiesByStatus(status: Int, expected: [Int], verdict: ResponseVerdict) {
        #expect(Expectation(status: expected).verdict(status: status, body: [UInt8]()) == verdict)
    }

    @Test func checksTheBody() {
        let expectation = Expectation(bodyContains: "paid")
        #expect(expectation.verdict(status: 200, body: Array(#"{"status":"paid"}"#.utf8)) == .ok)
        #expect(expectation.verdict(status: 200, body: Array(#"{"status":"reserved"}"#.utf8)) == .failed(.check))
    }
}

struct ProfileClockTests {
    @Test(arguments: [
        ("00:00", 0.0), ("10:00", 36_000.0), ("23:59", 86_340.0), ("33:00", 118_800.0), ("d2 09:30", 120_600.0),
        ("10:00:30", 36_030.0),
    ])
    func parses(text: String, seconds: Double) {
        #expect(ProfileClock.parse(text) == seconds)
    }

    @Test(arguments: ["", "10", "10:60", "ab:00", "d0 10:00", "d2 25:00", "1:2:3:4", "-1:00"])
    func refuses(text: String) {
        #expect(ProfileClock.parse(text) == nil)
    }

    @Test func labels() {
        #expect(ProfileClock.label(0) == "00:00")
        #expect(ProfileClock.label(36_000 + 59) == "10:00")
        #expect(ProfileClock.label(90_000) == "d2 01:00")
        #expect(ProfileClock.endLabel(86_400) == "24:00")
        #expect(ProfileClock.endLabel(172_800) == "d2 24:00")
        #expect(ProfileWindow.parse("23:00-01:00") == ProfileWindow(start: 82_800, end: 90_000))
    }
}
