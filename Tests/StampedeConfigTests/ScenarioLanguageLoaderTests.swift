import Foundation
import Testing

@testable import StampedeConfig
@testable import StampedeCore

/// Every feature of the scenario language for real checkouts loads, and every mistake in it is named with its
/// file, line and column.
struct ScenarioLanguageLoaderTests {
    static func problems(_ yaml: String, file: String = "s.yaml") -> [ConfigProblem] {
        do {
            _ = try ScenarioLoader.parse(yaml, file: file)
            return []
        } catch {
            return error.problems
        }
    }

    static func located(_ yaml: String) -> [String] {
        problems(yaml).map { "\($0.line):\($0.column) \($0.path): \($0.message)" }
    }

    @Test func theShippedStorefrontScenarioLoads() throws {
        let scenario = try ScenarioLoader.load(path: RepositoryFiles.path("scenarios/storefront.yaml"))
        #expect(scenario.feeders.map(\.name) == ["users"])
        #expect(scenario.feeders[0].columns == ["email", "password"])
        #expect(scenario.feeders[0].rows.count == 1_000)
        let buyer = try #require(scenario.flows.first { $0.name == "flash-buyer" })
        #expect(buyer.steps[0].extract.map(\.source) == [.formField("csrfmiddlewaretoken"), .cookie("csrftoken")])
        guard case .form(let fields)? = buyer.steps[1].body else {
            Issue.record("the login step has no form body")
            return
        }
        #expect(fields.map(\.name) == ["csrfmiddlewaretoken", "login-username", "login-password"])
        #expect(buyer.steps[3].ledger?.confirms == false)
        #expect(buyer.steps[4].ledger?.confirms == true)
        #expect(buyer.steps[5].path.startsWithPlaceholder)
    }

    @Test func extractionsOfEveryKindLoad() throws {
        let scenario = try ScenarioLoader.parse(
            """
            name: s
            flows:
              - name: f
                steps:
                  - name: a
                    get: /x
                    extract:
                      id: $.id
                      url: {json: "$.results[?(@.upc=='FLASH-1')].url", pick: random}
                      ids: {json: "$.lines[*].id", pick: all}
                      order: {regex: "order (\\\\d+)", group: 1}
                      next: {header: Location}
                      session: {cookie: sessionid}
                      token: {form: csrfmiddlewaretoken}
                      meta_token: {meta: csrf-token, default: none}
            """, file: "s.yaml")
        let extract = scenario.flows[0].steps[0].extract
        #expect(extract.map(\.variable) == ["id", "url", "ids", "order", "next", "session", "token", "meta_token"])
        #expect(extract[1].pick == .random)
        #expect(extract[2].pick == .all)
        #expect(extract[3].source == .regex(pattern: "order (\\d+)", group: 1))
        #expect(extract[4].source == .header("Location"))
        #expect(extract[7].defaultValue == "none")
    }

    @Test func extractionMistakesAreLocated() {
        let found = Self.located(
            """
            name: s
            flows:
              - name: f
                steps:
                  - name: a
                    get: /x
                    extract:
                      a: "$.results[?(@.upc=='x'"
                      b: {regex: "(unclosed"}
                      c: {regex: "(x)", group: 2}
                      d: {json: $.x, header: y}
                      e: {header: Location, pick: most}
                      f: {cookie: sid, group: 1}
                      g: "$.items[?(@.sku == '{{later}}')].url"
            """)
        #expect(found.count == 7, "\(found)")
        #expect(found[6].contains("unknown variable {{later}}"))
        #expect(found[0].hasPrefix("8:14 flows[0].steps[0].extract.a: expected ) to close the filter"))
        #expect(found[1].hasPrefix("9:22 flows[0].steps[0].extract.b.regex: the regular expression (unclosed"))
        #expect(found[2].contains("has 1 group(s); group 2 is not one of them"))
        #expect(found[3].hasPrefix("11:14 flows[0].steps[0].extract.d: expected one source"))
        #expect(found[4].hasPrefix("12:39 flows[0].steps[0].extract.e.pick: expected first, last, random or all"))
        #expect(found[5].contains("group goes with regex"))
    }

    @Test func bodiesLoadTyped() throws {
        let scenario = try ScenarioLoader.parse(
            """
            name: s
            flows:
              - name: f
                steps:
                  - {name: j, post: /j, json: {qty: "{{shopper|int}}", n: 2, ok: true, none: null, tags: [a, "{{flow}}"]}}
                  - {name: f, post: /f, form: {q: "a b&c", who: "{{shopper}}"}}
                  - {name: m, post: /m, multipart: {note: hi, file: {value: "x,y", filename: a.csv, content_type: text/csv}}}
                  - {name: r, post: /r, body: "{{flow}} raw", content_type: text/plain}
            """, file: "s.yaml")
        let steps = scenario.flows[0].steps
        let values: Variables = ["shopper": .text("7"), "flow": .text("f")]
        #expect(steps[0].body?.render { values[$0] }.text == #"{"qty":7,"n":2,"ok":true,"none":null,"tags":["a","f"]}"#)
        #expect(steps[1].body?.render { values[$0] }.text == "q=a+b%26c&who=7")
        #expect(steps[1].body?.contentType == "application/x-www-form-urlencoded")
        #expect(
            steps[2].body?.render { values[$0] }.text.contains("filename=\"a.csv\"\r\nContent-Type: text/csv") == true)
        #expect(steps[3].body?.render { values[$0] }.text == "f raw")
        #expect(steps[3].contentType == "text/plain")
    }

    /// `body_contains` is text, not a template: `"{{sku}} in stock"` was looked for as written and failed every page.
    /// It is refused; `\{{` is a literal `{{` there as everywhere.
    @Test func bodyContainsTakesNoPlaceholder() throws {
        let found = Self.located(
            """
            name: s
            data: {sku: [A]}
            flows:
              - name: f
                steps:
                  - {name: a, get: /a, expect: {body_contains: "{{sku}} in stock"}}
                  - {name: b, get: /b, expect: {body_contains: "{{sku"}}
            """)
        #expect(found.count == 2, "\(found)")
        #expect(
            found.first?.hasPrefix("6:52 flows[0].steps[0].expect.body_contains: body_contains is matched as written")
                == true, "\(found)")
        #expect(found.last?.contains("not closed") == true, "\(found)")
        let scenario = try ScenarioLoader.parse(
            "name: s\nflows:\n  - {name: f, steps: [{name: a, get: /a, expect: {body_contains: '\\{{ price }}'}}]}\n",
            file: "s.yaml")
        #expect(scenario.flows[0].steps[0].expect.bodyContains == "{{ price }}")
    }

    /// YAML's merge keys apply (`<<: *defaults`, or a list of them; the mapping's own keys win), and an `x-` field
    /// holds anchors: both were "unknown field", so shared headers had to be written out on every step.
    @Test func mergeKeysApplyAndExtensionFieldsHoldAnchors() throws {
        let scenario = try ScenarioLoader.parse(
            """
            name: s
            x-defaults:
              headers: &headers {x-api-key: abc, accept: application/json}
              step: &step {expect: 200, think: 1s}
              body: &body {channel: app, sku: "none"}
            flows:
              - name: f
                steps:
                  - {name: a, get: /a, <<: [*step], headers: {<<: *headers, x-extra: "1"}}
                  - {name: b, post: /b, <<: *step, expect: 201, json: {<<: *body, sku: "{{shopper}}"}}
            """, file: "s.yaml")
        let steps = scenario.flows[0].steps
        #expect(steps[0].headers.map(\.name) == ["x-extra", "x-api-key", "accept"])
        #expect(steps[0].expect.status == [200] && steps[0].think == 1...1)
        #expect(steps[1].expect.status == [201] && steps[1].think == 1...1)
        let values: Variables = ["shopper": .text("7")]
        #expect(steps[1].body?.render { values[$0] }.text == #"{"sku":"7","channel":"app"}"#)
        let found = Self.located(
            """
            name: s
            flows:
              - name: f
                steps:
                  - {name: a, get: /a, <<: nothing}
            """)
        #expect(found == [#"5:32 flows[0].steps[0]: expected a mapping to merge (<<: *name), found "nothing""#])
    }

    /// A part's name and file name are written as browsers write them (a quote ended the name early), and a file
    /// that is not text is refused (a JPEG went out with each invalid byte sequence replaced).
    @Test func multipartNamesAreQuotedAndABinaryFileIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("multipart-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A, 0x46]).write(to: folder.appendingPathComponent("photo.jpg"))
        try Data("sku,qty\n".utf8).write(to: folder.appendingPathComponent("order.csv"))
        let scenario = folder.appendingPathComponent("s.yaml")
        try Data(
            """
            name: s
            flows:
              - name: f
                steps:
                  - name: m
                    post: /m
                    multipart:
                      'say "hi"': {file: order.csv, filename: "a \\"b\\".csv"}
                  - {name: p, post: /p, multipart: {photo: {file: photo.jpg}}}
            """.utf8
        ).write(to: scenario)
        #expect {
            try ScenarioLoader.load(path: scenario.path)
        } throws: { error in
            let problems = (error as? ConfigError)?.problems ?? []
            return problems.count == 1 && problems[0].path == "flows[0].steps[1].multipart.photo.file"
                && problems[0].message.contains("photo.jpg is not UTF-8 text")
        }
        try Data(
            String(decoding: try Data(contentsOf: scenario), as: UTF8.self).split(separator: "\n").dropLast()
                .joined(separator: "\n").utf8
        ).write(to: scenario)
        let body = try ScenarioLoader.load(path: scenario.path).flows[0].steps[0].body?.render { _ in nil }.text
        #expect(body?.contains(#"name="say %22hi%22"; filename="a %22b%22.csv""#) == true, "\(body ?? "")")
        #expect(body?.contains("\r\n\r\nsku,qty\n\r\n") == true)
    }

    @Test func bodyAndURLMistakesAreLocated() {
        let found = Self.located(
            """
            name: s
            target: http://127.0.0.1:8080
            origins: [http://static.shop.test:8081, http://pay.test/path]
            flows:
              - name: f
                steps:
                  - {name: a, post: /a, json: {q: 1}, form: {q: 1}}
                  - {name: b, get: api/relative}
                  - {name: c, get: "http://elsewhere.test/x"}
                  - {name: d, get: "{{nope}}/x"}
                  - {name: e, post: /e, json: {q: "{{shopper|nope}}"}}
            """)
        #expect(found.count == 6, "\(found)")
        #expect(found[0].hasPrefix("3:41 origins[1]: expected an origin such as"))
        #expect(found[1].hasPrefix("7:49 flows[0].steps[0].form: expected one body"))
        #expect(found[2].hasPrefix("8:24 flows[0].steps[1].get: expected a path starting with /"))
        #expect(found[3].hasPrefix("9:24 flows[0].steps[2].get: http://elsewhere.test is neither the target nor"))
        #expect(found[4].contains("unknown variable {{nope}}"))
        #expect(found[5].contains("unknown filter \"nope\""))
    }

    @Test func flowControlLoads() throws {
        let scenario = try ScenarioLoader.parse(
            """
            name: s
            flows:
              - name: f
                steps:
                  - {name: list, get: /l, extract: {n: $.count}}
                  - {name: browse, get: /p, repeat: 1..3, if: "{{n}} > 0 and status == 200"}
                  - {name: basket, post: /b, on_status: {406: sold_out, 404: done, 503: fail},
                     ledger: {sku: X, sold_out: {status: 406}}}
                  - {name: form, post: /f, follow_redirects: false}
                  - {name: three, get: /t, expect: 302}
            """, file: "s.yaml")
        let steps = scenario.flows[0].steps
        #expect(steps[1].repeats == 1...3)
        #expect(steps[1].condition?.variables == ["n"])
        #expect(steps[2].onStatus.map(\.outcome) == [.soldOut, .done, .fail])
        #expect(steps[0].followRedirects == 5)
        #expect(steps[3].followRedirects == 0)
        // A step that expects a redirect sees it instead of following it.
        #expect(steps[4].followRedirects == 0)
    }

    @Test func flowControlMistakesAreLocated() {
        let found = Self.located(
            """
            name: s
            flows:
              - name: f
                steps:
                  - {name: a, get: /a, if: "{{x}} >"}
                  - {name: b, get: /b, if: "{{later}} == 1"}
                  - {name: c, get: /c, repeat: 0..2}
                  - {name: d, get: /d, on_status: {406: sold_out}}
                  - {name: e, get: /e, on_status: {abc: done, 404: maybe}}
                  - {name: f, get: /f, follow_redirects: 99}
                  - {name: g, sql: "delete from x"}
            """)
        #expect(found.count == 7, "\(found)")
        #expect(found[0].hasPrefix("5:40 flows[0].steps[0].if: expected {{variable}}, status"))
        #expect(found[1].contains("unknown variable {{later}}"))
        #expect(found[2].contains("expected how many times"))
        #expect(found[3].contains("sold_out counts in the ledger"))
        #expect(found[4].contains("expected an HTTP status code as the key"))
        #expect(found[5].contains("how many redirects to follow"))
        #expect(found[6].contains("sql runs only in setup"))
    }

    @Test func feedersLoadFromCSVAndJSONLinesAndTheirMistakesAreLocated() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-feeders-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "email,password,note\na@x.test,p1,\"hello, \"\"world\"\"\"\nb@x.test,p2,\"two\nlines\"\n".write(
            to: directory.appendingPathComponent("users.csv"), atomically: true, encoding: .utf8)
        try "{\"code\":\"C1\",\"off\":10}\n{\"code\":\"C2\",\"off\":20}\n".write(
            to: directory.appendingPathComponent("coupons.jsonl"), atomically: true, encoding: .utf8)
        try "email,password\na@x.test\n".write(
            to: directory.appendingPathComponent("short.csv"), atomically: true, encoding: .utf8)
        let path = directory.appendingPathComponent("s.yaml").path
        try """
        name: s
        feeders:
          users: {file: users.csv, pick: unique}
          coupons: {file: coupons.jsonl}
        flows:
          - name: f
            steps:
              - {name: a, post: /login, form: {u: "{{users.email}}", p: "{{users.password}}", c: "{{coupons.code}}"}}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        let scenario = try ScenarioLoader.load(path: path)
        #expect(
            scenario.feeders[0].rows == [["a@x.test", "p1", "hello, \"world\""], ["b@x.test", "p2", "two\nlines"]])
        #expect(scenario.feeders[0].pick == .unique)
        #expect(scenario.feeders[1].columns == ["code", "off"])
        #expect(scenario.feeders[1].pick == .sequential)
        try """
        name: s
        feeders:
          users: {file: short.csv}
          missing: {file: nowhere.csv}
          flow: {file: users.csv}
          odd: {file: users.csv, pick: everyone}
        flows:
          - name: f
            steps:
              - {name: a, get: "/{{users.nope}}/{{missing.id}}/{{odd.x}}/{{nobody}}"}
        """.write(toFile: path, atomically: true, encoding: .utf8)
        var problems: [ConfigProblem] = []
        do { _ = try ScenarioLoader.load(path: path) } catch { problems = error.problems }
        let found = problems.map { "\($0.line):\($0.column) \($0.message)" }
        #expect(found.count == 5, "\(found)")
        #expect(found[0].hasPrefix("3:17 short.csv, line 2: expected 2 fields (email, password), found 1"))
        #expect(found[1].hasPrefix("4:19 cannot read"))
        #expect(found[2].hasPrefix("5:9 \"flow\" is already a variable"))
        #expect(found[3].hasPrefix("6:32 expected sequential, random or unique"))
        // A feeder with a problem of its own is not reported again wherever a step uses it (its fields cannot be
        // known); a name no feeder declares still is.
        #expect(found[4].contains("unknown variable {{nobody}}"))
    }

    @Test func setupMayRunSQLAgainstTheBooksDatabase() {
        let withBooks = """
            name: s
            ground_truth: {sql: {url_env: BOOKS_URL, query: "select sku, stock, sold from stock"}}
            setup:
              - {name: reset, sql: "update stock set stock = 100"}
            flows:
              - {name: f, steps: [{name: a, get: /a}]}
            """
        #expect(Self.problems(withBooks).isEmpty, "\(Self.problems(withBooks))")
        let withoutBooks = """
            name: s
            setup:
              - {name: reset, sql: "update stock set stock = 100"}
            flows:
              - {name: f, steps: [{name: a, get: /a}]}
            """
        #expect(Self.located(withoutBooks).first?.contains("give ground_truth an sql source") == true)
    }

    /// A flow of weight 0 alone is fine for a burst-only profile; with shoppers between bursts it is named.
    @Test func weightZeroFlowsFitBurstOnlyProfiles() throws {
        let scenario = try ScenarioLoader.parse(
            "name: s\nflows:\n  - {name: crowd, weight: 0, steps: [{name: a, get: /a}]}\n", file: "s.yaml")
        let burstOnly = try ProfileLoader.parse(
            """
            name: p
            stages:
              - {duration: 10s, from: 0, to: 0}
            bursts:
              - {at: "00:00:02", crowd: 100, flow: crowd, sku: X, stock: 10}
            """, file: "p.yaml")
        #expect(
            RunConsistency.problems(profile: burstOnly, profilePath: "p", scenario: scenario, scenarioPath: "s").isEmpty
        )
        let plan = try Plan(profile: burstOnly, scale: RunScale(peakRate: 10, compression: .speed(1)))
        #expect(Array(ArrivalSequence(plan: plan, process: .poisson, seed: 1)).count == 100)
        let busy = try ProfileLoader.parse(
            "name: p\nstages:\n  - {duration: 10s, to: 1}\nbursts:\n  - {at: \"00:00:02\", crowd: 1, flow: crowd, sku: X, stock: 1}\n",
            file: "p.yaml")
        let problems = RunConsistency.problems(profile: busy, profilePath: "p", scenario: scenario, scenarioPath: "s")
        #expect(problems.first?.contains("every flow has weight 0") == true, "\(problems)")
        #expect(throws: ConfigError.self) {
            try ProfileLoader.parse("name: p\nstages:\n  - {duration: 10s, to: 0}\n", file: "p.yaml")
        }
    }
}
