import Testing

@testable import StampedeCore

struct TemplateTests {
    /// `\{{` is a literal `{{`; backslashes right before `{{` halve; `Template.escaping` writes any text as a template
    /// that renders as itself.
    @Test func aBackslashMakesBracesLiteral() throws {
        let values = ["x": "X"]
        let render = { (source: String) in try Template(parsing: source).render(text: { values[$0] }).text }
        #expect(try render(#"a \{{x}} b"#) == "a {{x}} b")
        #expect(try render(#"a \\{{x}} b"#) == #"a \X b"#)
        #expect(try render(#"\\\{{x}}"#) == #"\{{x}}"#)
        #expect(try render(#"a\b {{x}}\"#) == #"a\b X\"#)
        #expect(try Template(parsing: #"\{{ not a name }}"#).isConstant)
        for text in ["{{", "a{{b}}c", #"\{{"#, #"\\{{x}}"#, "}}{{", #"end\"#, "{{{{", #"\"#, "plain", ""] {
            #expect(try Template(parsing: Template.escaping(text)).render(text: { _ in "V" }).text == text, "\(text)")
            // Followed by a placeholder, the text still renders as itself, then the value.
            let before = Template.escaping(text, beforePlaceholder: true) + "{{x}}"
            #expect(try render(before) == text + "X", "\(text)")
        }
    }

    /// A JSON body's own text is escaped as JSON, not only the values put in it: `json: {note: "he said \"hi\""}`
    /// was sent as `{"note":"he said "hi""}`, and a line break in a YAML string as a raw one; neither is JSON.
    @Test func aJSONBodysOwnTextIsEscaped() throws {
        let note = "he said \"hi\"\nback\\slash\t{{x}} é"
        let body = RequestBody.json(.object([.init(key: "note", value: .string(try Template(parsing: note)))]))
        let values: Variables = ["x": .text("a\"b")]
        let text = body.render { values[$0] }.text
        let parsed = try #require(JSONValue(parsing: Array(text.utf8)), "\(text)")
        #expect(parsed == .object([("note", .string("he said \"hi\"\nback\\slash\ta\"b é"))]))
        // Text with nothing to escape is written as it is.
        let plain = RequestBody.json(.object([.init(key: "sku", value: .string(try Template(parsing: "SKU-{{x}}")))]))
        #expect(plain.render { values[$0] }.text == #"{"sku":"SKU-a\"b"}"#)
    }

    @Test func rendersVariablesWithEscaping() throws {
        let template = try Template(parsing: "/orders/{{ id }}/pay?x={{sku}}")
        #expect(template.variables == ["id", "sku"])
        let values = ["id": "a b/c", "sku": "SKU-1"]
        #expect(template.render(escaping: .segment, text: { values[$0] }).text == "/orders/a%20b%2Fc/pay?x=SKU-1")
        let json = try Template(parsing: #"{"note":"{{n}}"}"#)
        #expect(json.render(escaping: .json, text: { _ in "say \"hi\"\n" }).text == #"{"note":"say \"hi\"\n"}"#)
    }

    @Test func reportsTheFirstMissingVariable() throws {
        let rendered = try Template(parsing: "{{a}}-{{b}}").render(text: { $0 == "a" ? "1" : nil })
        #expect(rendered.problem == .missing("b"))
    }

    @Test(arguments: ["{{", "x {{ y", "{{}}", "{{a b}}", "{{a|nope}}"])
    func refusesBrokenPlaceholders(source: String) {
        #expect(throws: TemplateError.self) { try Template(parsing: source) }
    }

    /// A URL handed out by a response keeps its slashes where it leads; values inside stay segments unless
    /// `|path` or `|raw` says otherwise.
    @Test func aLeadingPlaceholderIsAURLAndFiltersChooseTheEscaping() throws {
        let values: Variables = [
            "payment_url": .text("/api/payment/61/"), "next": .text("a/b c"), "q": .text("x&y"),
        ]
        let url = try Template(parsing: "{{payment_url}}?page={{q}}")
        #expect(url.render(escaping: .segment, leading: .path) { values[$0] }.text == "/api/payment/61/?page=x%26y")
        let filtered = try Template(parsing: "/go/{{next|path}}/{{next}}/{{q|raw}}")
        #expect(
            filtered.render(escaping: .segment, leading: .path) { values[$0] }.text == "/go/a/b%20c/a%2Fb%20c/x&y")
    }

    @Test func filtersConvertValues() throws {
        let values: Variables = [
            "qty": .text("3"), "price": .text("1.50"), "flag": .text("yes"), "items": .list([.text("a"), .text("b")]),
            "word": .text("abc"),
        ]
        func render(_ text: String) throws -> String {
            try Template(parsing: text).render { values[$0] }.text
        }
        #expect(
            try render("{{qty|int}} {{price|float}} {{flag|bool}} {{items|length}} {{items|last}}") == "3 1.50 true 2 b"
        )
        #expect(try render("{{items|json}}") == #"["a","b"]"#)
        let invalid = try Template(parsing: "{{word|int}}").render { values[$0] }
        #expect(invalid.problem == .invalid(variable: "word", filter: .int, value: "abc"))
        #expect(invalid.problem?.description == "the value \"abc\" of word is not int")
    }
}

struct ValuePathTests {
    static let body = Array(
        #"{"id":"ord-7","n":12,"price":1.5,"ok":true,"items":[{"sku":"A"},{"sku":"B"}],"none":null}"#.utf8)

    @Test(arguments: [
        ("$.id", "ord-7"), ("id", "ord-7"), ("n", "12"), ("price", "1.5"), ("ok", "true"), ("$.items[1].sku", "B"),
        ("items[0].sku", "A"), ("$.items[-1].sku", "B"), ("$['id']", "ord-7"), ("$.items.length", "2"),
        ("$.items[?(@.sku=='B')].sku", "B"), ("$..sku", "A"), ("$.items[*].sku", "A"),
    ])
    func extracts(path: String, value: String) throws {
        #expect(try ValuePath(parsing: path).extract(fromJSON: Self.body) == value)
    }

    @Test(arguments: ["missing", "items[5].sku", "items.sku", "none", "items", "$.items[?(@.sku=='C')].sku"])
    func missingValuesAreNil(path: String) throws {
        #expect(try ValuePath(parsing: path).extract(fromJSON: Self.body) == nil)
    }

    @Test func aBodyThatIsNotJSONGivesNil() throws {
        #expect(try ValuePath(parsing: "id").extract(fromJSON: Array("<html>".utf8)) == nil)
    }

    @Test(arguments: ["", "$.", "a[x]", "a[", "a[?(b)]", "a[?(@.b ==)]", "a.length().b"])
    func refusesBadPaths(path: String) {
        #expect(throws: TemplateError.self) { try ValuePath(parsing: path) }
    }

    /// A third-party shop's product list: the item is picked by a field, never by its position.
    @Test func filtersPickByFieldAndCompareNumbers() throws {
        let catalogue = JSONValue(
            parsing: Array(
                #"""
                {"results":[
                  {"upc":"SKU-1","url":"http://shop.test/api/products/1/","price":{"incl_tax":"12.00"},"stock":0},
                  {"upc":"FLASH-1","url":"http://shop.test/api/products/3/","price":{"incl_tax":"1.00"},"stock":5,
                   "tags":["flash","phone"]}
                ]}
                """#.utf8))!
        func values(_ path: String) throws -> [String] {
            try ValuePath(parsing: path).values(in: catalogue).compactMap(\.scalarText)
        }
        #expect(try values("$.results[?(@.upc=='FLASH-1')].url") == ["http://shop.test/api/products/3/"])
        #expect(try values("$.results[?(@.stock > 0)].upc") == ["FLASH-1"])
        #expect(try values("$.results[?(@.price.incl_tax < 5)].upc") == ["FLASH-1"])
        #expect(try values("$.results[?(@.stock >= 0 && @.upc != 'FLASH-1')].upc") == ["SKU-1"])
        #expect(try values("$.results[?(@.tags)].upc") == ["FLASH-1"])
        #expect(try values("$.results[*].upc") == ["SKU-1", "FLASH-1"])
        #expect(try values("$.results[1].tags.length") == ["2"])
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

    /// Strings with escapes and without (decoded straight from their bytes), literals, numbers as written,
    /// whitespace of every kind between them, and a control character refused on either path.
    @Test func parsesAWholeDocumentIntoItsValues() {
        let text =
            "{ \"id\" :\t\"ord-1\",\r\n\"name\": \"caf\u{E9} \\\"x\\\"\", \"ok\": true, \"no\": false,"
            + " \"none\": null, \"n\": [-1.5e3, 0], \"empty\": \"\" }"
        let expected = JSONValue.object([
            ("id", .string("ord-1")), ("name", .string("café \"x\"")), ("ok", .bool(true)), ("no", .bool(false)),
            ("none", .null), ("n", .array([.number("-1.5e3"), .number("0")])), ("empty", .string("")),
        ])
        #expect(JSONValue(parsing: Array(text.utf8)) == expected)
        for invalid in ["\"a\u{01}b\"", "\"a\\n\u{01}\"", "tru", "nulx", "[true, fals]"] {
            #expect(JSONValue(parsing: Array(invalid.utf8)) == nil, "\(invalid)")
        }
    }
}

struct CookieJarTests {
    static let shop = RequestURL(absolute: "http://shop.test/accounts/login/")!
    static let now = 1_800_000_000.0

    @Test func storesReplacesAndExpires() {
        var jar = CookieJar()
        let root = RequestURL(absolute: "http://shop.test/")!
        #expect(jar.header(for: root, now: Self.now) == nil)
        jar.store(setCookie: "sid=s1; Path=/; HttpOnly", from: Self.shop, now: Self.now)
        jar.store(setCookie: "theme=dark; Path=/", from: Self.shop, now: Self.now)
        #expect(jar.header(for: root, now: Self.now) == "sid=s1; theme=dark")
        jar.store(setCookie: "sid=s2; Path=/", from: Self.shop, now: Self.now)
        #expect(jar.header(for: root, now: Self.now) == "sid=s2; theme=dark")
        jar.store(setCookie: "theme=; Max-Age=0; Path=/", from: Self.shop, now: Self.now)
        #expect(jar.header(for: root, now: Self.now) == "sid=s2")
        jar.store(setCookie: "garbage", from: Self.shop, now: Self.now)
        #expect(jar.header(for: root, now: Self.now) == "sid=s2")
    }

    /// RFC 6265: domain and path matching, host-only cookies, the default path, longest path first.
    @Test func domainsAndPathsMatchAsRFC6265Says() {
        var jar = CookieJar()
        jar.store(setCookie: "host=1", from: Self.shop, now: Self.now)
        jar.store(setCookie: "wide=2; Domain=.shop.test; Path=/", from: Self.shop, now: Self.now)
        jar.store(setCookie: "deep=3; Path=/accounts/login", from: Self.shop, now: Self.now)
        jar.store(setCookie: "evil=4; Domain=other.test", from: Self.shop, now: Self.now)
        let login = RequestURL(absolute: "http://shop.test/accounts/login/x")!
        // host=1 took the directory of /accounts/login/ as its path: as long as deep=3's, and older.
        #expect(jar.header(for: login, now: Self.now) == "host=1; deep=3; wide=2")
        #expect(jar.header(for: RequestURL(absolute: "http://shop.test/accountsX")!, now: Self.now) == "wide=2")
        #expect(jar.header(for: RequestURL(absolute: "http://static.shop.test/a")!, now: Self.now) == "wide=2")
        #expect(jar.header(for: RequestURL(absolute: "http://other.test/")!, now: Self.now) == nil)
    }

    @Test func expirySecureAndSameSite() {
        var jar = CookieJar()
        let secure = RequestURL(absolute: "https://shop.test/")!
        jar.store(setCookie: "old=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT", from: secure, now: Self.now)
        jar.store(setCookie: "later=2; Path=/; Expires=Thu, 01 Jan 2037 00:00:00 GMT", from: secure, now: Self.now)
        jar.store(
            setCookie: "brief=3; Path=/; Max-Age=60; Expires=Thu, 01 Jan 2037 00:00:00 GMT", from: secure, now: Self.now
        )
        jar.store(setCookie: "tls=4; Path=/; Secure", from: secure, now: Self.now)
        jar.store(setCookie: "strict=5; Path=/; SameSite=Strict", from: secure, now: Self.now)
        #expect(jar.header(for: secure, site: "shop.test", now: Self.now) == "later=2; brief=3; tls=4; strict=5")
        #expect(jar.header(for: secure, site: "shop.test", now: Self.now + 61) == "later=2; tls=4; strict=5")
        // Over plain HTTP no Secure cookie; from another site no Strict one.
        #expect(
            jar.header(for: RequestURL(absolute: "http://shop.test/")!, now: Self.now) == "later=2; brief=3; strict=5")
        #expect(jar.header(for: secure, site: "pay.example", now: Self.now) == "later=2; brief=3; tls=4")
        // A Secure cookie is not taken from plain HTTP (loopback excepted, as browsers do).
        jar.store(setCookie: "sneaky=6; Secure", from: RequestURL(absolute: "http://shop.test/")!, now: Self.now)
        #expect(jar.value(named: "sneaky") == nil)
        jar.store(setCookie: "local=7; Secure", from: RequestURL(absolute: "http://127.0.0.1:8080/")!, now: Self.now)
        #expect(jar.value(named: "local") == "7")
    }

    @Test(arguments: [
        ("Wed, 21 Oct 2015 07:28:00 GMT", 1_445_412_480.0), ("Wednesday, 21-Oct-15 07:28:00 GMT", 1_445_412_480.0),
        ("Wed Oct 21 07:28:00 2015", 1_445_412_480.0), ("Thu, 01 Jan 1970 00:00:00 GMT", 0.0),
    ])
    func cookieDatesParse(text: String, seconds: Double) {
        #expect(CookieJar.parseDate(text) == seconds)
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
