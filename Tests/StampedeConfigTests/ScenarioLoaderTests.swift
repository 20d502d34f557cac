import Testing

@testable import StampedeConfig
@testable import StampedeCore

struct ScenarioLoaderTests {
    @Test func theReferenceScenarioLoads() throws {
        let scenario = try ScenarioLoader.load(path: RepositoryFiles.path("scenarios/reference-shop.yaml"))
        #expect(scenario.flows.map(\.name) == ["buyer", "window-shopper"])
        let buyer = scenario.flows[0]
        #expect(buyer.steps.map(\.name) == ["browse", "product", "cart", "order", "pay"])
        let order = buyer.steps[3]
        #expect(order.method == "POST")
        #expect(order.expect.status == [201])
        #expect(order.extract.first?.variable == "order_id")
        #expect(order.proceed == 0.5)
        #expect(order.body?.contentType == "application/json")
        #expect(order.body?.render { $0 == "sku" ? .text("SKU-1") : nil }.text == #"{"sku":"SKU-1","qty":1}"#)
        #expect(buyer.steps[4].path.variables == ["order_id"])
        #expect(buyer.steps[0].think == 0.2...1)
        #expect(scenario.data.first?.values.count == 20)
    }

    @Test func problemsAreLocatedAndComplete() throws {
        let yaml = """
            name: s
            flows:
              - name: f
                steps:
                  - name: a
                    get: nopath
                    think: forever
                    proceed: 2
                  - name: b
                    post: /orders/{{order_id}}
                  - name: c
                    get: /x
                    post: /y
                  - name: d
                  - name: e
                    get: /e
                    think: 1s..8d
            """
        let byPath = Dictionary(grouping: ScenarioLanguageLoaderTests.problems(yaml), by: \.path)
        #expect(
            byPath["flows[0].steps[4].think"]?.first?.message
                == "expected a think time such as 2s or 0.5s..3s, at most 7d")
        #expect(byPath["flows[0].steps[0].get"]?.first?.message.contains("starting with /") == true)
        #expect(byPath["flows[0].steps[0].think"] != nil)
        #expect(byPath["flows[0].steps[0].proceed"] != nil)
        #expect(byPath["flows[0].steps[1].post"]?.first?.message.contains("unknown variable {{order_id}}") == true)
        #expect(byPath["flows[0].steps[2].post"]?.first?.message.contains("one request per step") == true)
        #expect(byPath["flows[0].steps[3]"]?.first?.message.contains("needs a request") == true)
        #expect(byPath["flows[0].steps[1].post"]?.first?.line == 10)
    }

    /// A repeated flow or step name is reported at the second one, whether or not an entry before it had a problem
    /// of its own: the second "a" was reported at the first (line 7) when a step before both had one, and a second
    /// flow "buyer" not at all when the first could not be read.
    @Test func aRepeatedNameIsReportedAtItsSecondUse() throws {
        let yaml = """
            name: s
            flows:
              - {name: buyer, steps: [{name: a, get: /a, think: soon}]}
              - name: other
                steps:
                  - {name: x, get: /x, think: soon}
                  - {name: a, get: /a}
                  - {name: a, get: /b}
              - {name: buyer, steps: [{name: c, get: /c}]}
            """
        let problems = ScenarioLanguageLoaderTests.problems(yaml)
        let repeated = problems.filter { $0.message.contains("is used twice") }
        #expect(repeated.map(\.path) == ["flows[1].steps[2]", "flows[2]"], "\(problems)")
        #expect(repeated.map(\.line) == [8, 9])
    }

    /// A flow's and a step's name is one a threshold can name (`p99(FLOW/STEP)`): `add to cart` could be named by
    /// none, and its histogram's file was `add_to_cart`, as `add_to_cart`'s is.
    @Test func aNameNoThresholdCouldNameIsRefused() throws {
        let yaml = """
            name: s
            flows:
              - name: "buy|er"
                steps:
                  - {name: add to cart, get: /a}
                  - {name: 下单-1.b_c, get: /b}
            """
        let problems = ScenarioLanguageLoaderTests.problems(yaml)
        #expect(problems.map(\.path) == ["flows[0].name", "flows[0].steps[0].name"], "\(problems)")
        #expect(
            problems.first?.message.contains(#"a threshold names a flow by it, as in p99(buyer/pay)), found "buy|er""#)
                == true)
        #expect(
            try ThresholdParser.parse("p99(buyer/下单-1.b_c) < 1s").metric
                == .latency(.percentile(99), uncorrected: false, .step(flow: "buyer", step: "下单-1.b_c"), .run))
    }

    /// A header name must be one HTTP token, and a header's value one line: both were sent as written, and the
    /// target answered 400 to every request that carried them.
    @Test func aHeaderThatCannotBeSentIsRefused() throws {
        let headers =
            #"{"Bad Header": v, ":path": /x, X-Split: "a\r\nX-Admin: 1", X-Fine: "{{shopper}}", Content-Length: "9", "#
            + #"transfer-encoding: chunked, Connection: close}"#
        let yaml = "name: s\nflows:\n  - {name: f, steps: [{name: a, get: /a, headers: \(headers)}]}\n"
        let byPath = Dictionary(grouping: ScenarioLanguageLoaderTests.problems(yaml), by: \.path)
        #expect(byPath.count == 6, "\(byPath.keys)")
        // The framing is the client's: a length that is not the body's leaves the server reading the wrong bytes.
        #expect(
            byPath["flows[0].steps[0].headers.Content-Length"]?.first?.message
                == "Content-Length is set by Stampede (from the body); leave it out")
        #expect(byPath["flows[0].steps[0].headers.transfer-encoding"]?.first?.message.contains("from the body") == true)
        #expect(
            byPath["flows[0].steps[0].headers.Connection"]?.first?.message.contains("--connection-per-shopper") == true)
        #expect(byPath["flows[0].steps[0].headers.Bad Header"]?.first?.message.contains("a header name") == true)
        #expect(byPath["flows[0].steps[0].headers.:path"]?.first?.message.contains("found \":path\"") == true)
        #expect(byPath["flows[0].steps[0].headers.X-Split"]?.first?.message.contains("one line") == true)
        let fine = try ScenarioLoader.parse(
            "name: s\nflows:\n  - {name: f, steps: [{name: a, get: /a, headers: {X-Request-ID: \"{{shopper}}\"}}]}\n",
            file: "s.yaml")
        #expect(fine.flows[0].steps[0].headers.map(\.name) == ["X-Request-ID"])
    }

    /// The scenario's target is an origin, like --target: its path was dropped without a word.
    @Test func aTargetWithAPathIsRefused() throws {
        let flows = "flows:\n  - {name: f, steps: [{name: a, get: /a}]}\n"
        let problems = ScenarioLanguageLoaderTests.problems("name: s\ntarget: http://127.0.0.1:8080/shop/\n" + flows)
        #expect(problems.map(\.path) == ["target"])
        #expect(problems.first?.message.contains("expected an origin such as http://127.0.0.1:8080") == true)
        let fine = try ScenarioLoader.parse("name: s\ntarget: http://127.0.0.1:8080/\n" + flows, file: "s.yaml")
        #expect(fine.target == "http://127.0.0.1:8080/")
    }

    @Test func extractedVariablesAreKnownOnlyAfterTheirStep() throws {
        let yaml = """
            name: s
            flows:
              - name: f
                steps:
                  - {name: pay, post: "/orders/{{id}}/pay"}
                  - {name: order, post: /orders, extract: {id: $.id}}
                  - {name: pay2, post: "/orders/{{id}}/pay"}
            """
        #expect(throws: ConfigError.self) { try ScenarioLoader.parse(yaml, file: "s.yaml") }
        let fixed = yaml.split(separator: "\n").filter { !$0.contains("name: pay,") }.joined(separator: "\n")
        let scenario = try ScenarioLoader.parse(fixed, file: "s.yaml")
        #expect(scenario.flows[0].steps.count == 2)
    }

    /// A step with a problem still declares what it extracts: the steps after it are not reported for using it,
    /// so one mistake is one problem.
    @Test func aStepsProblemIsReportedOnceNotByTheStepsAfterIt() throws {
        let yaml = """
            name: s
            flows:
              - name: f
                steps:
                  - name: login
                    post: /login
                    headers: {X-Token: "{{tokn}}"}
                    extract: {csrf: {cookie: csrftoken}, basket: $.basket}
                  - {name: add, post: "/baskets/{{basket}}", headers: {X-CSRFToken: "{{csrf}}"}}
                  - {name: pay, post: "/pay/{{order}}"}
            """
        #expect(
            ScenarioLanguageLoaderTests.problems(yaml).map { "\($0.line):\($0.column) \($0.message)" } == [
                "7:28 unknown variable {{tokn}}; known here: shopper, flow, sku",
                "10:27 unknown variable {{order}}; known here: shopper, flow, sku, csrf, basket",
            ])
    }
}

struct UnitsTests {
    @Test(arguments: [("90s", 90.0), ("250ms", 0.25), ("5m", 300.0), ("1.5h", 5400.0), ("1h30m", 5400.0), ("2", 2.0)])
    func durations(text: String, seconds: Double) {
        #expect(Units.seconds(text) == seconds)
    }

    @Test(arguments: ["", "s", "5x", "-3s", "1..2", "h5"])
    func badDurations(text: String) {
        #expect(Units.seconds(text) == nil)
    }

    @Test func ratesAndSpeeds() {
        #expect(Units.ratePerSecond("800/s") == 800)
        #expect(Units.ratePerSecond("60/m") == 1)
        #expect(Units.ratePerSecond("0/s") == nil)
        #expect(Units.speed("1440x") == 1440)
        #expect(Units.speed("x") == nil)
        #expect(Units.secondsRange("0.5s..2s") == 0.5...2)
        #expect(Units.secondsRange("2s..1s") == nil)
    }
}

struct FlashSaleConfigTests {
    @Test func theShippedFlashSaleFilesLoadAndFitTogether() throws {
        let profile = try ProfileLoader.load(path: RepositoryFiles.path("profiles/flash-sale.yaml"))
        let scenario = try ScenarioLoader.load(path: RepositoryFiles.path("scenarios/flash-sale.yaml"))
        #expect(profile.bursts.map(\.sku) == ["FLASH-PHONE", "FLASH-HALF", "FLASH-EARBUDS"])
        #expect(profile.bursts[0].crowd == 2_000 && profile.bursts[0].within == 1 && profile.bursts[0].stock == 100)
        #expect(
            RunConsistency.problems(profile: profile, profilePath: "p", scenario: scenario, scenarioPath: "s").isEmpty)
        let order = try #require(scenario.flows[1].steps.first { $0.name == "order" })
        #expect(order.ledger?.soldOut?.status == [409])
        #expect(order.ledger?.sku.variables == ["sku"])
        #expect(scenario.setup?.count == 1)
        guard case .http(let url, _, _, _, _, let reserved, let released)? = scenario.groundTruth?.source else {
            Issue.record("no http ground truth")
            return
        }
        #expect(url == "/admin/inventory" && reserved == "reserved" && released == "released")
        #expect(scenario.groundTruth?.every == 1)
        #expect(scenario.groundTruth?.hold == 61)
    }

    @Test func burstsLedgersAndGroundTruthAreChecked() {
        let profile = """
            name: p
            hours: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]
            bursts:
              - {at: "25:00", crowd: 0, flow: f, sku: A, stock: -1}
              - {at: "10:00", crowd: 10}
            """
        var problems: [ConfigProblem] = []
        do { _ = try ProfileLoader.parse(profile, file: "p.yaml") } catch { problems = error.problems }
        let paths = Set(problems.map(\.path))
        #expect(
            paths.isSuperset(of: [
                "bursts[0].at", "bursts[0].crowd", "bursts[0].stock", "bursts[1].flow",
                "bursts[1].sku", "bursts[1].stock",
            ]), "\(problems)")
        let scenario = """
            name: s
            ground_truth: {http: {url: /books}}
            flows:
              - name: f
                steps:
                  - {name: order, post: /orders, ledger: {confirms: payment, sku: "{{nope}}"}}
                  - {name: basket, post: /basket, ledger: {sku: A}}
            """
        problems = ScenarioLanguageLoaderTests.problems(scenario)
        let scenarioPaths = Set(problems.map(\.path))
        #expect(
            scenarioPaths.isSuperset(of: [
                "ground_truth.http.items", "flows[0].steps[0].ledger.confirms",
                "flows[0].steps[0].ledger.sku", "flows[0].steps[1].ledger",
            ]),
            "\(problems)")
    }

    @Test func aBurstFollowingAnUnknownFlowIsNamed() throws {
        let profile = Profile(
            name: "p", shape: .hourly(Array(repeating: 1, count: 24)),
            bursts: [Burst(label: "b", at: 0, crowd: 1, within: 0, flow: "ghost", sku: "A", stock: 1)])
        let scenario = try ScenarioLoader.load(path: RepositoryFiles.path("scenarios/flash-sale.yaml"))
        let problems = RunConsistency.problems(
            profile: profile, profilePath: "p.yaml", scenario: scenario, scenarioPath: "s.yaml")
        #expect(problems == ["p.yaml: bursts[0].flow: no flow \"ghost\" in s.yaml (its flows: browser, flash-buyer)"])
    }

    /// `{{sku}}` comes only with a burst unless a data list gives it: a weighted flow that needs it before any step
    /// takes it from a response would fail every shopper between the bursts ("the variable sku has no value").
    @Test func aWeightedFlowNeedingTheBurstsSkuIsNamed() throws {
        let flows = """
            flows:
              - name: buyer
                steps:
                  - {name: browse, get: /products}
                  - {name: maybe, get: "/p/{{sku}}", if: "{{shopper}} == 1"}
                  - {name: order, post: "/orders/{{sku}}"}
              - name: picker
                steps:
                  - {name: browse, get: /products, extract: {sku: "$.skus[0]"}}
                  - {name: order, post: "/orders/{{sku}}"}
              - name: payer
                steps:
                  - {name: pay, post: /pay, ledger: {confirms: order, sku: "{{sku}}", sold_out: {status: 409}}}
              - name: crowd
                weight: 0
                steps:
                  - {name: order, post: "/orders/{{sku}}"}
            """
        let scenario = try ScenarioLoader.parse("name: s\n" + flows, file: "s.yaml")
        let day = Profile(
            name: "p", shape: .hourly(Array(repeating: 1, count: 24)),
            bursts: [Burst(label: "b", at: 0, crowd: 1, within: 0, flow: "crowd", sku: "A", stock: 1)])
        let problems = RunConsistency.problems(
            profile: day, profilePath: "p.yaml", scenario: scenario, scenarioPath: "s.yaml")
        #expect(problems.count == 2, "\(problems)")
        #expect(
            problems.first?.hasPrefix(
                "s.yaml: flows[0] (buyer): the step order uses {{sku}} before anything gives it a value (no data "
                    + "list sku, no step before it extracts one); only a burst gives its crowd one, and p.yaml brings "
                    + "buyer shoppers between its bursts too") == true, "\(problems)")
        #expect(problems.last?.hasPrefix("s.yaml: flows[2] (payer): the step pay uses {{sku}}") == true)
        let given = try ScenarioLoader.parse("name: s\ndata: {sku: [A, B]}\n" + flows, file: "s.yaml")
        #expect(
            RunConsistency.problems(profile: day, profilePath: "p.yaml", scenario: given, scenarioPath: "s.yaml")
                .isEmpty)
        let noBursts = Profile(name: "p", shape: .hourly(Array(repeating: 1, count: 24)))
        let withoutBursts = RunConsistency.problems(
            profile: noBursts, profilePath: "p.yaml", scenario: scenario, scenarioPath: "s.yaml")
        #expect(withoutBursts.count == 2 && withoutBursts[0].contains("p.yaml has no bursts"), "\(withoutBursts)")
        let burstOnly = Profile(name: "p", shape: .hourly(Array(repeating: 0, count: 24)), bursts: day.bursts)
        #expect(
            RunConsistency.problems(
                profile: burstOnly, profilePath: "p.yaml", scenario: scenario, scenarioPath: "s.yaml"
            )
            .isEmpty)
    }
}

struct DrillConfigTests {
    @Test func theShippedDrillLoads() throws {
        let scenario = try ScenarioLoader.load(path: RepositoryFiles.path("scenarios/payment-failover-drill.yaml"))
        let drill = try #require(scenario.drill)
        #expect(drill.primary == "alipay")
        #expect(drill.channels.map(\.name) == ["alipay", "wechat", "unionpay"])
        #expect(drill.faults == [PaymentDrill.Fault(channel: "alipay", kind: .timeout, at: 20, lasting: 20)])
        #expect(drill.orders == "/admin/orders" && drill.attempts == "/admin/payments")
        let pay = try #require(scenario.flows[0].steps.last)
        #expect(pay.payment?.order.variables == ["order_id"])
        #expect(pay.payment?.channel?.source == "$.channel")
        _ = try ProfileLoader.load(path: RepositoryFiles.path("profiles/payment-failover-drill.yaml"))
    }

    /// A fault at an instant the run never plays would never happen: the drill would judge a failover nothing
    /// tested ("failover never"). Refused before anything is sent, against the profile and against --window.
    @Test func aFaultOutsideWhatIsPlayedIsRefused() throws {
        let scenario = try ScenarioLoader.load(path: RepositoryFiles.path("scenarios/payment-failover-drill.yaml"))
        let minute = try ProfileLoader.load(path: RepositoryFiles.path("profiles/payment-failover-drill.yaml"))
        #expect(
            RunConsistency.problems(profile: minute, profilePath: "p", scenario: scenario, scenarioPath: "s").isEmpty)
        var late = scenario
        late.drill?.faults[0].at = 300
        #expect(
            RunConsistency.problems(profile: minute, profilePath: "p", scenario: late, scenarioPath: "s") == [
                "s: drill.faults[0].at: 00:05 is outside the part of the profile played (00:00 to 00:01): the fault "
                    + "would never happen, and the drill would judge a failover nothing tested"
            ])
        #expect(scenario.drill?.faultsOutside(ProfileWindow(start: 30, end: 60)).count == 1)
        #expect(scenario.drill?.faultsOutside(ProfileWindow(start: 20, end: 21)).isEmpty == true)
    }

    @Test func drillProblemsAreNamed() {
        let yaml = """
            name: s
            drill:
              primary: visa
              channels: {alipay: "ftp://x"}
              orders: admin/orders
              faults:
                - {channel: paypal, kind: meltdown, at: soon, lasting: 0s}
            flows:
              - name: f
                steps:
                  - {name: pay, post: /pay, payment: {channel: "$."}}
            """
        let problems = ScenarioLanguageLoaderTests.problems(yaml)
        let paths = Set(problems.map(\.path))
        #expect(
            paths.isSuperset(of: [
                "drill.primary", "drill.channels.alipay", "drill.faults[0].channel", "drill.faults[0].kind",
                "drill.faults[0].at",
                "drill.faults[0].lasting", "flows[0].steps[0].payment.order", "flows[0].steps[0].payment.channel",
                "drill.orders",
            ]), "\(problems)")
        #expect(
            problems.first { $0.path == "drill.orders" }?.message
                == #"expected a path on the target starting with / (such as /admin/orders) or a URL, found "admin/orders""#
        )
        #expect(
            problems.first { $0.path == "drill.faults[0].kind" }?.message
                == #"expected timeout, error, slow, flap, refuse or garbage, found "meltdown""#)
        let shared = ScenarioLanguageLoaderTests.problems(
            """
            name: s
            drill:
              primary: alipay
              channels: {alipay: "http://127.0.0.1:9001", wechat: "http://127.0.0.1:9002", unionpay: "http://127.0.0.1:9001/"}
            flows: [{name: f, steps: [{name: a, get: /a}]}]
            """)
        #expect(shared.map(\.path) == ["drill.channels.unionpay"])
        #expect(shared.first?.message.hasPrefix("http://127.0.0.1:9001/ is alipay's simulator too") == true)
        let outcome = ScenarioLanguageLoaderTests.problems(
            "name: s\nflows: [{name: f, steps: [{name: a, get: /a, on_status: {409: maybe}}]}]")
        #expect(outcome.map(\.message) == [#"expected sold_out, done or fail, found "maybe""#])
    }
}

/// Every address a scenario sends to is guarded like the target: off loopback only with --allow-remote, and the
/// problem names the file, line, column and field.
struct AddressGuardTests {
    static let yaml = """
        name: s
        flows:
          - name: f
            steps:
              - {name: a, get: /x}
        ground_truth:
          http: {url: "http://10.1.2.3:8080/books", items: $.skus}
        drill:
          primary: alipay
          channels:
            alipay: http://127.0.0.1:9001
            wechat: http://payments.example.com:9002
          orders: /admin/orders
          attempts: http://[::1]:8080/admin/payments
        """

    @Test func addressesOffLoopbackAreNamedWithTheirPlace() throws {
        let (_, addresses) = try ScenarioLoader.parseWithAddresses(Self.yaml, file: "s.yaml")
        #expect(addresses.count == 5)
        let problems = AddressGuard.problems(addresses, allowRemote: false, environment: [:])
        #expect(problems.map(\.path) == ["ground_truth.http.url", "drill.channels.wechat"])
        #expect(problems[0].description.hasPrefix("s.yaml:7:"), "\(problems[0])")
        #expect(problems[0].message.contains("10.1.2.3 is not on loopback"))
        #expect(problems[1].message.contains("payments.example.com"))
        #expect(AddressGuard.problems(addresses, allowRemote: true, environment: [:]).isEmpty)
    }

    @Test func theBooksDatabaseIsGuardedToo() throws {
        let yaml = """
            name: s
            flows:
              - name: f
                steps:
                  - {name: a, get: /x}
            ground_truth:
              sql: {url_env: BOOKS_URL, query: "select sku, stock, sold from stock"}
            """
        let (_, addresses) = try ScenarioLoader.parseWithAddresses(yaml, file: "s.yaml")
        let remote = AddressGuard.problems(
            addresses, allowRemote: false, environment: ["BOOKS_URL": "postgres://u:secret@db.internal:5432/shop"])
        #expect(remote.count == 1)
        #expect(remote.first?.path == "ground_truth.sql.url_env")
        #expect(remote.first?.message.contains("db.internal") == true)
        #expect(remote.first?.message.contains("secret") == false)
        let local = AddressGuard.problems(
            addresses, allowRemote: false, environment: ["BOOKS_URL": "postgres://u@127.0.0.1:5432/shop"])
        #expect(local.isEmpty)
    }
}

struct ThresholdLoaderTests {
    @Test func thresholdsLoadInBothForms() throws {
        let yaml = """
            name: s
            flows:
              - name: buyer
                steps:
                  - {name: order, post: /orders, ledger: {confirms: order, sku: A}}
            thresholds:
              - "p99(buyer/order) < 300ms"
              - {check: "error_rate(all) < 1%", abort_on_fail: true, delay: 10s}
              - oversold == 0
            """
        let scenario = try ScenarioLoader.parse(yaml, file: "s.yaml")
        let thresholds = try #require(scenario.thresholds)
        #expect(thresholds.map(\.source) == ["p99(buyer/order) < 300ms", "error_rate(all) < 1%", "oversold == 0"])
        #expect(thresholds[1].abortOnFail && thresholds[1].delay == 10)
        #expect(!thresholds[0].abortOnFail)
    }

    /// A mistake inside a threshold's text is located at its character (the opening quote counted), a name the
    /// scenario lacks at the threshold.
    @Test func mistakesAreLocatedInTheText() {
        let yaml = """
            name: s
            flows:
              - name: buyer
                steps:
                  - {name: order, post: /orders}
            thresholds:
              - "p99(buyer/order) < 300"
              - p99(buyer/pay) < 1s
              - {check: "oversold == 0", abort_on_fail: true}
            """
        do {
            _ = try ScenarioLoader.parse(yaml, file: "s.yaml")
            Issue.record("accepted")
        } catch {
            let problems = error.problems.map(\.description)
            #expect(problems.count == 3, "\(problems)")
            #expect(problems[0].hasPrefix("s.yaml:7:25: thresholds[0]: expected a duration"), "\(problems[0])")
            #expect(problems[1].contains("s.yaml:8:5") && problems[1].contains("no step \"pay\""), "\(problems[1])")
            #expect(
                problems[2].contains("s.yaml:9:13") && problems[2].contains("known only after the run"),
                "\(problems[2])")
        }
    }

    /// A verdict the scenario could never give is refused where the threshold is written: it would leave every run
    /// UNVERIFIED (exit 3). Oversold and its kin need a ledger rule; payment figures need a drill.
    @Test func aVerdictTheScenarioCannotGiveIsRefused() {
        let scenario = { (order: String) in
            """
            name: s
            flows:
              - name: buyer
                steps:
                  - \(order)
            thresholds:
              - oversold == 0
              - leaked == 0
              - double_charges == 0
              - failover_time < 2s
              - p99(all) < 1s
            """
        }
        let problems = ScenarioLanguageLoaderTests.problems(scenario("{name: order, post: /orders}"))
        #expect(problems.map(\.path) == ["thresholds[0]", "thresholds[1]", "thresholds[2]", "thresholds[3]"])
        #expect(problems.first?.message.contains("no step has a ledger rule") == true, "\(problems)")
        #expect(problems.last?.message.contains("the scenario has no drill") == true, "\(problems)")
        let withLedger = scenario("{name: order, post: /orders, ledger: {confirms: order, sku: A}}")
        #expect(ScenarioLanguageLoaderTests.problems(withLedger).map(\.path) == ["thresholds[2]", "thresholds[3]"])
    }

    /// A threshold naming a flow that has problems of its own is not reported as naming a flow that does not exist.
    @Test func aFlowWithProblemsIsStillAFlowToTheThresholds() {
        let yaml = """
            name: s
            flows:
              - name: buyer
                steps:
                  - {name: order, post: /orders, think: 2x}
              - name: browser
                steps:
                  - {name: look, get: /}
            thresholds:
              - p99(buyer/order) < 1s
              - p99(buyer) < 1s
              - p99(ghost) < 1s
            """
        let problems = ScenarioLanguageLoaderTests.problems(yaml).map(\.description)
        #expect(problems.count == 2, "\(problems)")
        #expect(problems.first?.contains("flows[0].steps[0].think") == true, "\(problems)")
        #expect(
            problems.last == #"s.yaml:12:5: thresholds[2]: the scenario has no flow "ghost" (flows: browser, buyer)"#,
            "\(problems)")
    }
}
