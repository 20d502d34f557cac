import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import NIOPosix
import StampedeConfig
import StampedeCore
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// The scenario language end to end: a scenario written in YAML, played by a coordinator and a worker against a
/// server that keeps every request, so the test sees exactly what shoppers sent.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct ScenarioBehaviourTests {
    static func scenario(_ yaml: String) throws -> Scenario {
        try ScenarioLoader.parse(yaml, file: "behaviour.yaml")
    }

    /// A scenario of one flow, `shop`, whose steps are `steps` (YAML list items, written from column 0).
    static func shop(_ name: String, steps: String) throws -> Scenario {
        let indented = steps.split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.isEmpty ? "" : "      " + $0 }.joined(separator: "\n")
        return try scenario("name: \(name)\nflows:\n  - name: shop\n    steps:\n" + indented)
    }

    static func json(_ text: String, headers: HTTPFields = [:], status: HTTPResponse.Status = .ok) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func text(_ text: String, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// Values taken from JSON, HTML, a regular expression, a header and a cookie, sent on as typed JSON, a form,
    /// multipart, a URL from a response and a path segment; redirects followed hop by hop (a 303 turns a POST
    /// into a GET), or not.
    @Test func shoppersSendWhatTheScenarioSays() async throws {
        let scenario = try Self.scenario(
            #"""
            name: behaviour
            flows:
              - name: shop
                steps:
                  - name: start
                    get: /start
                    extract:
                      id: $.id
                      ok: $.ok
                      ids: {json: "$.lines[*].id", pick: all}
                      last_line: {json: "$.lines[*].id", pick: last}
                      cheap: "$.lines[?(@.price < 2)].id"
                      next: $.next
                      moved: {header: Location}
                      sid: {cookie: sid}
                      missing: {json: $.nothing, default: none}
                  - name: page
                    get: /page
                    extract:
                      token: {form: csrfmiddlewaretoken}
                      meta: {meta: csrf-token}
                      order: {regex: "Order (\\d+) placed"}
                  - name: json
                    post: /json
                    headers: {x-order: "{{order}}", x-moved: "{{moved}}"}
                    json: {id: "{{id}}", ok: "{{ok}}", ids: "{{ids}}", qty: "{{last_line|int}}", text: "#{{id}}",
                           token: "{{token}}", meta: "{{meta}}", sid: "{{sid}}", cheap: "{{cheap}}",
                           missing: "{{missing}}", as_text: "{{id|string}}"}
                  - name: form
                    post: /form
                    form: {q: "a b&c=d", token: "{{token}}"}
                  - name: upload
                    post: /upload
                    multipart: {note: "{{order}}", file: {value: "x,y", filename: a.csv, content_type: text/csv}}
                  - {name: next, get: "{{next}}"}
                  - {name: segment, get: "/files/{{path_value|path}}/{{path_value}}"}
                  - {name: redirect, get: /redirect}
                  - {name: prg, post: /prg, form: {a: "1"}}
                  - {name: seen, get: /redirect, follow_redirects: false, expect: 302}
            data:
              path_value: ["a/b c"]
            """#)
        let routes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/start") { _, _ in
                Self.json(
                    #"{"id":61,"ok":true,"lines":[{"id":1,"price":5},{"id":2,"price":1.5}],"next":"/api/next/61/"}"#,
                    headers: [.location: "/moved/here", .setCookie: "sid=abc; Path=/; HttpOnly"])
            }
            router.get("/page") { _, _ in
                Self.text(
                    #"<html><head><meta name="csrf-token" content="m1"></head><body><form>"#
                        + #"<input type="hidden" name="csrfmiddlewaretoken" value="t&amp;1"></form>Order 7 placed</body></html>"#
                )
            }
            for path in ["/json", "/form", "/upload", "/api/next/61", "/done", "/final"] {
                router.on(RouterPath(path), method: .get) { _, _ in Self.text("ok") }
                router.on(RouterPath(path), method: .post) { _, _ in Self.text("ok") }
            }
            router.get("/files/**") { _, _ in Self.text("ok") }
            router.get("/redirect") { _, _ in Self.text("", status: .found, headers: [.location: "/final"]) }
            router.post("/prg") { _, _ in Self.text("", status: .seeOther, headers: [.location: "/done"]) }
        }
        try await RecordingServer.with(routes) { server, url in
            let report = try await TestSupport.rehearse(seconds: 1, rate: 2, scenario: scenario, target: url)
            #expect(report.totals.shoppers.failed == 0, "\(report.errorSamples ?? [])")
            #expect(report.totals.shoppers.succeeded == 2)
            let json = try #require(server.received(path: "/json").first)
            #expect(
                json.body
                    == ##"{"id":61,"ok":true,"ids":[1,2],"qty":2,"text":"#61","token":"t&1","meta":"m1","sid":"abc","##
                    + ##""cheap":2,"missing":"none","as_text":"61"}"##)
            #expect(json.header("content-type") == "application/json")
            #expect(json.header("x-order") == "7")
            #expect(json.header("x-moved") == "/moved/here")
            #expect(json.header("cookie") == "sid=abc")
            let form = try #require(server.received(path: "/form").first)
            #expect(form.body == "q=a+b%26c%3Dd&token=t%261")
            #expect(form.header("content-type") == "application/x-www-form-urlencoded")
            let upload = try #require(server.received(path: "/upload").first)
            #expect(upload.header("content-type")?.hasPrefix("multipart/form-data; boundary=") == true)
            #expect(upload.body.contains("Content-Disposition: form-data; name=\"note\"\r\n\r\n7\r\n"))
            #expect(upload.body.contains("filename=\"a.csv\"\r\nContent-Type: text/csv\r\n\r\nx,y\r\n"))
            #expect(server.received(path: "/api/next/61/").count == 2)
            #expect(server.received.contains { $0.target == "/files/a/b%20c/a%2Fb%20c" })
            // Redirects: each hop a request of the step; the 303 after a POST is a GET without the body.
            let redirect = try #require(report.steps.first { $0.step == "redirect" })
            #expect(redirect.requests.requests == 4)
            #expect(server.received(path: "/final").count == 2)
            let done = try #require(server.received(path: "/done").first)
            #expect(done.method == "GET" && done.body.isEmpty)
            let seen = try #require(report.steps.first { $0.step == "seen" })
            #expect(seen.requests.requests == 2 && seen.requests.ok == 2)
        }
    }

    /// `repeat`, `if` and `on_status`: three views each, a step skipped when its condition fails, and a 406 that
    /// ends the flow as sold out (counted in the ledger) without an error.
    @Test func flowControlSteersEachShopper() async throws {
        let scenario = try Self.shop(
            "control",
            steps: """
                - {name: list, get: /list, extract: {count: $.count}}
                - {name: view, get: /view, repeat: 3}
                - {name: never, get: /never, if: "{{count}} > 5 or status != 200"}
                - {name: sometimes, get: /sometimes, if: "{{count}} == 2 and status == 200"}
                - name: basket
                  post: /basket
                  on_status: {406: sold_out}
                  ledger: {sku: X, sold_out: {status: 406}}
                - {name: after, get: /after}
                """)
        let routes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/list") { _, _ in Self.json(#"{"count":2}"#) }
            for path in ["/view", "/never", "/sometimes", "/after"] {
                router.get(RouterPath(path)) { _, _ in Self.text("ok") }
            }
            router.post("/basket") { _, _ in Self.json(#"{"reason":"sold out"}"#, status: .notAcceptable) }
        }
        try await RecordingServer.with(routes) { server, url in
            let report = try await TestSupport.rehearse(seconds: 1, rate: 4, scenario: scenario, target: url)
            #expect(report.totals.shoppers.succeeded == 4, "\(report.errorSamples ?? [])")
            #expect(server.received(path: "/view").count == 12)
            #expect(server.received(path: "/never").isEmpty)
            #expect(server.received(path: "/sometimes").count == 4)
            #expect(server.received(path: "/after").isEmpty)
            let basket = try #require(report.steps.first { $0.step == "basket" })
            #expect(basket.requests.ok == 4 && basket.requests.failed == 0)
        }
    }

    /// Think times hold each shopper between its requests: a long one parks the shopper (no task while it thinks)
    /// and the scheduler starts it again when the think is over; a short one is slept in its task. Every shopper
    /// goes on where it was (its cookie, its variables), and a stop ends those still thinking as cancelled.
    @Test func thinkingShoppersGoOnWhereTheyWere() async throws {
        let scenario = try Self.shop(
            "think",
            steps: """
                - {name: login, get: /login, extract: {user: $.user}, think: 300ms}
                - {name: browse, get: /browse, repeat: 2, think: 20ms}
                - {name: buy, get: "/buy/{{user}}", think: 30s}
                - {name: never, get: /never}
                """)
        let routes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/login") { request, _ in
                let shopper = request.headers[HTTPField.Name("x-stampede-shopper")!] ?? "?"
                return Self.json(#"{"user":"u\#(shopper)"}"#, headers: [.setCookie: "sid=s\(shopper); Path=/"])
            }
            for path in ["/browse", "/buy/{user}", "/never"] {
                router.get(RouterPath(path)) { _, _ in Self.text("ok") }
            }
        }
        try await RecordingServer.with(routes) { server, url in
            let began = ContinuousClock.now
            let report = try await TestSupport.rehearse(
                seconds: 1, rate: 8, scenario: scenario, target: url, stopAfter: .milliseconds(2_500))
            // Stopped 2.5 s in, everyone still thinking over the 30 s think: cancelled, at once, all accounted.
            #expect(ContinuousClock.now - began < .seconds(10))
            TestSupport.expectAccounted(report)
            #expect(report.totals.shoppers.started == 8)
            #expect(report.totals.shoppers.failures[.cancelled] == 8, "\(report.errorSamples ?? [])")
            #expect(server.received(path: "/never").isEmpty)
            let logins = server.received(path: "/login")
            #expect(logins.count == 8)
            for login in logins {
                let shopper = try #require(login.header("x-stampede-shopper"))
                let own = server.received.filter { $0.header("x-stampede-shopper") == shopper }
                #expect(own.map(\.target) == ["/login", "/browse", "/browse", "/buy/u\(shopper)"])
                // Each request after its think, with the cookie the first answer set.
                #expect(own[1].at - own[0].at >= .milliseconds(300))
                #expect(own[2].at - own[1].at >= .milliseconds(20))
                #expect(own[3].at - own[2].at >= .milliseconds(20))
                #expect(own.dropFirst().allSatisfy { $0.header("cookie") == "sid=s\(shopper)" })
            }
        }
    }

    /// A shopper with a connection of its own keeps it while it is parked thinking (the connection travels in its
    /// progress) and closes it when done: as many connections as shoppers, each carrying both of its requests.
    @Test func aShopperKeepsItsOwnConnectionWhileItThinks() async throws {
        let scenario = try Self.shop(
            "own",
            steps: """
                - {name: look, get: /look, think: 200ms}
                - {name: buy, get: /buy}
                """)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { _ in .respond(status: 200, body: "ok") }
        let report = try await TestSupport.rehearse(
            seconds: 1, rate: 6, scenario: scenario, target: server.baseURL,
            transport: TargetTransport(connectionPerShopper: true))
        await server.close()
        try await group.shutdownGracefully()
        #expect(report.totals.shoppers.succeeded == 6, "\(report.errorSamples ?? [])")
        #expect(report.totals.requests.ok == 12)
        #expect(server.connections == 6)
    }

    /// Absolute URLs go to the origins the scenario lists; elsewhere the step fails with the `origin` label.
    @Test func absoluteURLsGoOnlyToListedOrigins() async throws {
        let cdnRoutes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/img") { _, _ in Self.text("png") }
        }
        try await RecordingServer.with(cdnRoutes) { cdn, cdnURL in
            let shopRoutes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
                router.get("/product") { _, _ in Self.json(#"{"image":"\#(cdnURL)/img","evil":"http://127.0.0.2:9/x"}"#)
                }
            }
            try await RecordingServer.with(shopRoutes) { _, url in
                let listed = try Self.scenario(
                    """
                    name: origins
                    origins: ["\(cdnURL)"]
                    flows:
                      - name: shop
                        steps:
                          - {name: product, get: /product, extract: {image: $.image}}
                          - {name: image, get: "{{image}}"}
                    """)
                let report = try await TestSupport.rehearse(seconds: 1, rate: 2, scenario: listed, target: url)
                #expect(report.totals.shoppers.succeeded == 2, "\(report.errorSamples ?? [])")
                #expect(cdn.received(path: "/img").count == 2)
                let unlisted = try Self.scenario(
                    """
                    name: origins
                    flows:
                      - name: shop
                        steps:
                          - {name: product, get: /product, extract: {evil: $.evil}}
                          - {name: elsewhere, get: "{{evil}}"}
                    """)
                let refused = try await TestSupport.rehearse(seconds: 1, rate: 2, scenario: unlisted, target: url)
                let step = try #require(refused.steps.first { $0.step == "elsewhere" })
                #expect(step.requests.errors == [.origin: 2])
            }
        }
    }

    /// A crowd still arriving when the plan's time is up is waited for. Its 100 shoppers arrive over 60 s from 1 s
    /// into a 2 s run; the coordinator used to finish 30 s after the plan's end (its finish timeout) with half of
    /// them, and call the run complete. On a manual clock, so the minute takes no time.
    @Test func aCrowdStillArrivingAfterThePlansEndIsWaitedFor() async throws {
        var record = TestSupport.record(seconds: 2, rate: 10, target: "http://127.0.0.1:9", workers: 1)
        record.profile.bursts = [
            Burst(label: "slow crowd", at: 1, crowd: 100, within: 60, flow: "flow", sku: "X", stock: 10)
        ]
        let plan = try Plan(profile: record.profile, scale: record.scale)
        #expect(plan.duration == 2 && plan.arrivalsEnd == 61)
        // The progress line counts to the last arrival: [3/61s …], not [3/2s …].
        #expect(RunAggregator(plan: plan, scenario: record.scenario).progress(second: 2).plannedSeconds == 61)
        let result = try await LocalCluster.run(record: record, .init(workers: 1, clock: ManualClock()))
        let report = result.coordinator.report
        #expect(!report.run.interrupted)
        #expect(result.arrivals.filter { $0.arrival.burst == 0 }.count == 100)
        #expect(report.totals.shoppers.started == 120)
    }

    /// A burst-only profile (every level 0) with a flow of weight 0: only the crowd comes.
    @Test func aBurstOnlyProfilePlaysOnlyItsCrowd() async throws {
        let scenario = try Self.scenario(
            "name: crowd\nflows:\n  - {name: buyer, weight: 0, steps: [{name: product, get: /p}]}\n")
        let profile = try ProfileLoader.parse(
            """
            name: burst-only
            stages:
              - {duration: 3s, from: 0, to: 0}
            bursts:
              - {at: "00:00:01", crowd: 50, within: 500ms, flow: buyer, sku: X, stock: 10}
            """, file: "p.yaml")
        let routes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/p") { _, _ in Self.text("ok") }
        }
        try await RecordingServer.with(routes) { server, url in
            let record = RunRecord(
                id: "burst-only", startedAt: "", profile: profile, scenario: scenario,
                scale: RunScale(peakRate: 1, compression: .speed(1)), target: Origin(url: url)!, seed: 1,
                arrivals: .poisson, workers: 1, maxShoppers: 1_000, connections: 16)
            let report = try await LocalCluster.run(record: record, .init(workers: 1)).coordinator.report
            #expect(report.totals.shoppers.started == 50)
            #expect(report.totals.shoppers.succeeded == 50)
            #expect(server.received(path: "/p").count == 50)
        }
    }

    /// A worker whose one connection is busy holds the arrivals due meanwhile, and each interval says how many it
    /// held as the second closed; once the connection frees them they start, and none is lost.
    @Test func arrivalsHeldForAConnectionAreCountedEachSecond() async throws {
        let scenario = try Self.scenario("name: slow\nflows:\n  - {name: buyer, steps: [{name: slow, get: /slow}]}\n")
        let profile = try ProfileLoader.parse(
            "name: steady\nstages:\n  - {duration: 1s, from: 1, to: 1}\n", file: "p.yaml")
        let routes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/slow") { _, _ in
                try await Task.sleep(for: .milliseconds(100))
                return Self.text("ok")
            }
        }
        try await RecordingServer.with(routes) { server, url in
            // 30 arrivals in the second, one connection answering 10 a second: about 20 wait as the second closes.
            let record = RunRecord(
                id: "held", startedAt: "", profile: profile, scenario: scenario,
                scale: RunScale(peakRate: 30, compression: .speed(1)), target: Origin(url: url)!, seed: 1,
                arrivals: .uniform, workers: 1, maxShoppers: 1_000, connections: 1)
            let settings = CoordinatorSettings(
                expectedWorkers: 1, startDelay: LocalCluster.startDelay, connectionsPerWorker: 1)
            let report = try await LocalCluster.run(record: record, .init(workers: 1, settings: settings))
                .coordinator.report
            #expect(report.totals.shoppers.started == 30 && report.totals.shoppers.succeeded == 30)
            #expect(report.totals.shoppers.dropped == 0)
            #expect(report.timeline.first.map(\.waiting) ?? 0 >= 10, "\(report.timeline.map(\.waiting))")
            #expect(report.timeline.last?.waiting == 0)
            #expect(server.received(path: "/slow").count == 30)
        }
    }

    /// A value taken from a response with a line break in it is not sent as a header: it would end the header there
    /// and start another one (`X-Token: a`, then `X-Admin: 1`). The step fails with `request` and says which.
    @Test func aHeaderValueWithALineBreakFromAResponseIsNotSent() async throws {
        let routes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/login") { _, _ in
                Self.json(#"{"token": "a\r\nX-Admin: 1", "plain": "b", "next": "/next?to=x HTTP/1.1\r\nX-Admin: 1"}"#)
            }
            router.get("/next") { _, _ in Self.text("ok") }
        }
        let scenario = try Self.scenario(
            """
            name: tokens
            flows:
              - name: shop
                steps:
                  - {name: login, get: /login, extract: {token: $.token, plain: $.plain, next: $.next}}
                  - {name: plain, get: /next, headers: {X-Token: "{{plain}}"}}
                  - {name: handed, get: "{{next}}"}
                  - {name: raw, get: "{{next|raw}}"}
                  - {name: split, get: /next, headers: {X-Token: "{{token}}"}}
            """)
        try await RecordingServer.with(routes) { server, url in
            let report = try await TestSupport.rehearse(seconds: 1, rate: 2, scenario: scenario, target: url)
            let split = try #require(report.steps.first { $0.step == "split" })
            #expect(split.requests.errors == [.request: 2])
            let sample = try #require(report.errorSamples?.first { $0.step == "split" })
            #expect(sample.detail.contains("the header X-Token's value holds a line break (or NUL), from {{token}}"))
            // A URL handed out with a line break: encoded as a path's placeholder is, and `|raw` as a browser takes
            // it, the break dropped and the spaces encoded (it used to end the request line early).
            let next = server.received(path: "/next")
            #expect(next.compactMap { $0.header("x-token") } == ["b", "b"] && next.count == 6)
            let targets = next.map(\.target)
            #expect(targets.filter { $0 == "/next?to=x%20HTTP/1.1%0D%0AX-Admin:%201" }.count == 2, "\(targets)")
            #expect(targets.filter { $0 == "/next?to=x%20HTTP/1.1X-Admin:%201" }.count == 2, "\(targets)")
            #expect(next.allSatisfy { $0.header("x-admin") == nil })
        }
    }

    /// A scenario that asks for compression, as browsers do (`Accept-Encoding: gzip`), reads the answers inflated:
    /// the extraction found `\x1f\x8b…` and failed with `extract`. A body nobody reads is not inflated; one
    /// Stampede cannot inflate fails the step that reads it with `protocol`, saying why.
    @Test func aCompressedAnswerIsReadInflated() async throws {
        let item = Array(#"{"id": "A-17", "note": "in stock"}"#.utf8)
        let gzip = try CompressedFixture.gzip(item)
        let zlib = try CompressedFixture.zlib(Array(#"{"next": "/done"}"#.utf8))
        let bomb = try CompressedFixture.gzip([UInt8](repeating: 0x20, count: 17 << 20))
        let encoded: @Sendable ([UInt8], String) -> Response = { bytes, coding in
            Response(
                status: .ok, headers: [.contentType: "application/json", .contentEncoding: coding],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        let routes: @Sendable (Router<BasicRequestContext>) -> Void = { router in
            router.get("/item") { _, _ in encoded(gzip, "gzip") }
            router.get("/next") { _, _ in encoded(zlib, "deflate") }
            router.get("/done") { _, _ in Self.text("ok") }
            router.get("/brotli") { _, _ in encoded([0x0B, 0x02, 0x80], "br") }
            router.get("/bomb") { _, _ in encoded(bomb, "gzip") }
        }
        let scenario = try Self.scenario(
            """
            name: compressed
            flows:
              - name: shop
                steps:
                  - name: item
                    get: /item
                    headers: {Accept-Encoding: "gzip, deflate"}
                    expect: {status: [200], body_contains: in stock}
                    extract: {id: $.id}
                  - {name: next, get: "/next?id={{id}}", extract: {next: $.next}}
                  - {name: done, get: "{{next}}"}
                  - {name: unread, get: /brotli}
                  - {name: brotli, get: /brotli, extract: {x: $.x}}
            """)
        try await RecordingServer.with(routes) { server, url in
            let report = try await TestSupport.rehearse(seconds: 1, rate: 2, scenario: scenario, target: url)
            #expect(server.received(path: "/next").map(\.target) == ["/next?id=A-17", "/next?id=A-17"])
            #expect(server.received(path: "/done").count == 2)
            let steps = Dictionary(uniqueKeysWithValues: report.steps.map { ($0.step, $0) })
            #expect(steps["unread"]?.requests.errors == [:])
            #expect(steps["brotli"]?.requests.errors == [.protocol: 2])
            let sample = try #require(report.errorSamples?.first { $0.step == "brotli" })
            #expect(
                sample.detail.contains("its body is br-encoded, which Stampede does not decode"), "\(sample.detail)")
        }
        let bombing = try Self.scenario(
            "name: bomb\nflows:\n  - {name: shop, steps: [{name: bomb, get: /bomb, extract: {x: $.x}}]}\n")
        try await RecordingServer.with(routes) { _, url in
            let report = try await TestSupport.rehearse(seconds: 1, rate: 1, scenario: bombing, target: url)
            let sample = try #require(report.errorSamples?.first { $0.step == "bomb" })
            #expect(sample.detail.contains("its gzip body inflates past 16 MiB"), "\(sample.detail)")
        }
    }
}
