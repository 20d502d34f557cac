import Foundation
import StampedeCore
import StampedePayments
import StampedeProcess
import StampedeReport
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// Every exit code of `stampede run` (docs/exit-codes.md), each from a real run of the built executable against
/// the reference shop on loopback: atomic, racy, slow and failing, and payment drills in safe and naive mode.
@Suite(.timeLimit(.minutes(3)))
struct ExitCodeTests {
    /// A short flash sale: a trickle of browsers for `seconds`, and a crowd of 300 for 30 units at 00:00:01.
    static func profile(seconds: Int = 4) -> String {
        """
        name: exit-codes
        stages:
          - {duration: \(seconds)s, from: 1, to: 1}
        bursts:
          - {at: "00:00:01", crowd: 300, within: 500ms, flow: flash-buyer, sku: FLASH-T, stock: 30}
        """
    }

    static func scenario(thresholds: [String], books: String = "/admin/inventory") -> String {
        """
        name: exit-codes
        setup:
          - {name: reset, post: /admin/reset, json: {stock: {FLASH-T: 30}}, expect: 200}
        ground_truth:
          http: {url: \(books), items: $.skus, sku: sku, stock: stock, sold: sold, reserved: reserved,
                 released: released}
          every: 1s
          settle: 300ms
        thresholds:
        \(thresholds.map { "  - \($0)" }.joined(separator: "\n"))
        flows:
          - name: browser
            steps:
              - {name: browse, get: /products, expect: 200}
          - name: flash-buyer
            weight: 0
            steps:
              - name: order
                post: /orders
                json: {sku: "{{sku}}", qty: 1}
                expect: 201
                extract: {order_id: $.id}
                ledger: {confirms: order, sku: "{{sku}}", sold_out: {status: 409}}
        """
    }

    static let passing = [
        #""p99(all) < 5s""#, #""error_rate(all) < 1%""#, #""oversold == 0""#, #""phantom == 0""#,
        #""arrivals >= 90% of plan""#,
    ]

    /// `stampede run` with the files given, to its end (or `during` acts first); its status and what it printed.
    static func run(
        profile: String = profile(), scenario: String, target: String, rate: String = "20/s",
        arguments: [String] = [],
        during: (@Sendable (ChildProcess) async throws -> Void)? = nil
    ) async throws -> (status: Int32, output: String, runs: URL) {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        let process = try cluster.spawn(
            "stampede",
            [
                "run", "--profile", try cluster.write("profile.yaml", profile), "--scenario",
                try cluster.write("scenario.yaml", scenario), "--target", target, "--peak-rate", rate, "--arrivals",
                "uniform", "--runs", cluster.runs.path, "--id", "run", "--quiet",
            ] + arguments, log: "run.log")
        cluster.coordinator = process
        try await during?(process)
        let ended = await cluster.wait(process, limit: .seconds(60))
        #expect(ended, "stampede run did not end: \(cluster.log("run.log"))")
        let kept = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-exit-\(UUID())")
        try? FileManager.default.moveItem(at: cluster.runs, to: kept)
        return (ended ? process.terminationStatus : -1, cluster.log("run.log"), kept)
    }

    static func report(_ runs: URL) throws -> RunReport {
        try JSONReport.decode(Data(contentsOf: runs.appendingPathComponent("run/report.json")))
    }

    /// `stampede report` on the run directory: rebuilt and judged again.
    static func rejudge(_ runs: URL) async throws -> Int32 {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        let process = try cluster.spawn("stampede", ["report", runs.appendingPathComponent("run").path], log: "r.log")
        #expect(await cluster.wait(process, limit: .seconds(30)))
        return process.terminationStatus
    }

    /// One table: `--help` of every command that judges a run and docs/exit-codes.md list the same codes.
    @Test func theHelpAndTheDocsListTheSameCodes() async throws {
        let docs = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("docs/exit-codes.md")
        let documented = try String(contentsOf: docs, encoding: .utf8).split(separator: "\n").compactMap { line in
            line.hasPrefix("| ") ? Int(line.dropFirst(2).prefix { $0 != " " }) : nil
        }
        #expect(documented == [0, 1, 2, 3, 4, 64, 70])
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        for (executable, arguments) in [
            ("stampede", ["run", "--help"]), ("stampede", ["report", "--help"]), ("stampede-coordinator", ["--help"]),
        ] {
            let help = try cluster.spawn(executable, arguments, log: "help.log")
            #expect(await cluster.wait(help, limit: .seconds(20)))
            let listed = cluster.log("help.log").split(separator: "\n").drop { !$0.hasPrefix("Exit codes:") }
                .dropFirst()
                .prefix { $0.hasPrefix("  ") }.compactMap {
                    Int($0.trimmingCharacters(in: .whitespaces).prefix { $0 != " " })
                }
            #expect(listed == documented, "\(executable) \(arguments)")
        }
        // Each executable goes by its own name in its usage: `stampede-worker` said `Usage: worker …`.
        for (executable, arguments, usage) in [
            ("stampede-worker", ["--threads", "0"], "Usage: stampede-worker "),
            ("stampede-coordinator", ["--bogus"], "Usage: stampede-coordinator "),
            ("stampede", ["worker", "--threads", "0"], "Usage: stampede worker "),
        ] {
            let refused = try cluster.spawn(executable, arguments, log: "usage.log")
            #expect(await cluster.wait(refused, limit: .seconds(20)))
            #expect(refused.terminationStatus == 64)
            #expect(cluster.log("usage.log").contains(usage), "\(cluster.log("usage.log"))")
        }
    }

    @Test func anAtomicShopMeetingEveryThresholdExits0() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { _, url in
            let (status, output, runs) = try await Self.run(
                scenario: Self.scenario(thresholds: Self.passing), target: url)
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 0, "\(output)")
            let report = try Self.report(runs)
            #expect(report.thresholds?.map(\.outcome) == Array(repeating: .passed, count: Self.passing.count))
            for file in ["junit.xml", "summary.md"] {
                #expect(FileManager.default.fileExists(atPath: runs.appendingPathComponent("run/\(file)").path))
            }
            #expect(try await Self.rejudge(runs) == 0)
        }
    }

    @Test func aSlowShopFailsItsLatencyThresholdWithExit1() async throws {
        // Started slow (as `stampede shop --delay products:80ms`): the scenario's reset keeps it so.
        var slow = ShopConfiguration(inventory: .atomic)
        slow.faults = ShopFaults.Settings(delays: [.products: .milliseconds(80)])
        try await withReferenceShop(slow) { _, url in
            let (status, output, runs) = try await Self.run(
                scenario: Self.scenario(thresholds: Self.passing), target: url,
                arguments: ["--threshold", "p99(browser/browse) < 40ms"])
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 1, "\(output)")
            #expect(output.contains("p99(browser/browse) < 40ms: observed"), "\(output)")
            #expect(output.contains("exit 1: a threshold failed"))
            #expect(try await Self.rejudge(runs) == 1)
        }
    }

    /// The shop fails every request from 2 s into a 30 s run: the abort threshold (1 s delay) stops the run early.
    @Test func aFailingShopIsStoppedByItsAbortThresholdWithExit1() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { shop, url in
            let started = ContinuousClock.now
            let (status, output, runs) = try await Self.run(
                profile: Self.profile(seconds: 30),
                scenario: Self.scenario(
                    thresholds: [#"{check: "error_rate(all) < 10%", abort_on_fail: true, delay: 1s}"#]),
                target: url
            ) { _ in
                try await ProcessTests.waitForLoad(shop)
                try await Task.sleep(for: .seconds(2))
                shop.faults.fail()
            }
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 1, "\(output)")
            #expect(ContinuousClock.now - started < .seconds(20))
            let abort = try #require(try Self.report(runs).thresholds?.first?.abortedAt)
            #expect(output.contains("the threshold error_rate(all) < 10% broke"), "\(output)")
            #expect(abort < 10, "stopped at \(abort) s")
        }
    }

    @Test func aRacyShopOversellsWithExit2() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .racy)) { _, url in
            let (status, output, runs) = try await Self.run(
                scenario: Self.scenario(thresholds: [#""p99(all) < 5s""#]), target: url)
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 2, "\(output)")
            #expect(output.contains("FLASH-T: OVERSOLD"), "\(output)")
            #expect(try await Self.rejudge(runs) == 2)
            // Verdicts may only report: the thresholds decide.
            let (reporting, _, again) = try await Self.run(
                scenario: Self.scenario(thresholds: [#""p99(all) < 5s""#]), target: url,
                arguments: ["--no-fail-on-verdict"])
            defer { try? FileManager.default.removeItem(at: again) }
            #expect(reporting == 0)
        }
    }

    /// The books cannot be read (no such page): `oversold == 0` cannot be checked.
    @Test func anUncheckableVerdictAThresholdNeedsExits3() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { _, url in
            let (status, output, runs) = try await Self.run(
                scenario: Self.scenario(thresholds: [#""oversold == 0""#], books: "/admin/no-such-books"), target: url)
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 3, "\(output)")
            #expect(output.contains("oversold == 0: cannot be checked"), "\(output)")
        }
    }

    @Test func anInterruptedRunExits4AndSoDoesItsRebuild() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { shop, url in
            let (status, output, runs) = try await Self.run(
                profile: Self.profile(seconds: 30), scenario: Self.scenario(thresholds: Self.passing), target: url
            ) { process in
                try await ProcessTests.waitForLoad(shop)
                try await Task.sleep(for: .seconds(1))
                #expect(process.send(SIGINT))
            }
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 4, "\(output)")
            #expect(output.contains("the run did not complete"), "\(output)")
            #expect(try Self.report(runs).run.interrupted)
            #expect(try await Self.rejudge(runs) == 4)
        }
    }

    /// Every request fails and nothing is asked of the run: it measured nothing, which is not a pass.
    @Test func aRunInWhichNoRequestSucceededExits4() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { shop, url in
            let scenario =
                "name: nothing\nflows:\n  - name: browser\n    steps:\n      - {name: browse, get: /products}\n"
            shop.faults.fail()
            let (status, output, runs) = try await Self.run(
                profile: "name: short\nstages:\n  - {duration: 2s, from: 1, to: 1}\n", scenario: scenario, target: url)
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 4, "\(output)")
            #expect(output.contains("all failed): the rehearsal measured nothing"), "\(output)")
        }
    }

    /// Nothing listens at the target (a wrong port): the run stops once not one request has connected for
    /// `--unreached-after`, rather than play its 60 s, and says what the requests met. With `--unreached-after 0` a
    /// short run plays to its end, and fails only for having measured nothing.
    @Test func aTargetThatNeverAnswersIsGivenUpOnWithExit4() async throws {
        let target = "http://127.0.0.1:\(try FleetTests.freePort())"
        let scenario = "name: nowhere\nflows:\n  - name: browser\n    steps:\n      - {name: browse, get: /products}\n"
        let started = ContinuousClock.now
        let (status, output, runs) = try await Self.run(
            profile: "name: long\nstages:\n  - {duration: 60s, from: 1, to: 1}\n", scenario: scenario, target: target,
            arguments: ["--unreached-after", "2s"])
        defer { try? FileManager.default.removeItem(at: runs) }
        #expect(status == 4, "\(output)")
        #expect(ContinuousClock.now - started < .seconds(20))
        #expect(output.contains("the target never answered: not one of "), "\(output)")
        #expect(output.contains("could open a connection (GET /products: cannot connect to \(target)"), "\(output)")
        let report = try Self.report(runs)
        #expect(report.run.interrupted)
        #expect(report.run.actualSeconds < 10, "ran \(report.run.actualSeconds) s")
        #expect(report.run.stopReason?.hasPrefix("the target never answered") == true)
        #expect(try await Self.rejudge(runs) == 4)

        let (played, playedOutput, again) = try await Self.run(
            profile: "name: short\nstages:\n  - {duration: 3s, from: 1, to: 1}\n", scenario: scenario, target: target,
            arguments: ["--unreached-after", "0"])
        defer { try? FileManager.default.removeItem(at: again) }
        #expect(played == 4, "\(playedOutput)")
        #expect(!playedOutput.contains("the target never answered"), "\(playedOutput)")
        #expect(playedOutput.contains("all failed): the rehearsal measured nothing"), "\(playedOutput)")
        #expect(try Self.report(again).run.interrupted == false)
    }

    /// A target that takes every connection and answers nothing on it (a hung shop): every request times out. The
    /// run stops `--unreached-after` after the first timed out, rather than play its 60 s of timeouts.
    @Test func aTargetThatTakesConnectionsButNeverAnswersIsGivenUpOnWithExit4() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { shop, url in
            // Longer than the run should last, short enough for the shop to stop soon after it (it waits for them).
            shop.faults.setDelay(.seconds(6), for: .products)
            let scenario =
                "name: hung\nflows:\n  - name: browser\n    steps:\n      - {name: browse, get: /products}\n"
            let started = ContinuousClock.now
            let (status, output, runs) = try await Self.run(
                profile: "name: long\nstages:\n  - {duration: 60s, from: 1, to: 1}\n", scenario: scenario,
                target: url, arguments: ["--unreached-after", "2s", "--timeout", "1s"])
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 4, "\(output)")
            #expect(ContinuousClock.now - started < .seconds(20))
            #expect(
                output.contains("had an answer (GET /products: no complete response within 1 s): "), "\(output)")
            #expect(output.contains("does it answer HTTP at that address?"), "\(output)")
            let report = try Self.report(runs)
            #expect(report.run.interrupted)
            #expect(report.run.stopReason?.hasPrefix("the target never answered: not one of ") == true)
        }
    }

    @Test func aWrongThresholdIsAConfigurationErrorWithExit64() async throws {
        let (status, output, runs) = try await Self.run(
            scenario: Self.scenario(thresholds: [#""p99(all) << 5s""#]), target: "http://127.0.0.1:9")
        defer { try? FileManager.default.removeItem(at: runs) }
        #expect(status == 64, "\(output)")
        #expect(output.contains("scenario.yaml:10:"), "\(output)")
        #expect(!output.contains("Usage"))
    }

    /// The run directory cannot be made (a file is in the way): Stampede cannot do its own work, and sends nothing.
    @Test func anUnwritableRunDirectoryExits70BeforeAnyRequest() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { shop, url in
            let blocker = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-blocker-\(UUID())")
            try Data().write(to: blocker)
            defer { try? FileManager.default.removeItem(at: blocker) }
            let (status, output, runs) = try await Self.run(
                scenario: Self.scenario(thresholds: Self.passing), target: url, arguments: ["--runs", blocker.path])
            defer { try? FileManager.default.removeItem(at: runs) }
            #expect(status == 70, "\(output)")
            #expect(output.contains("cannot create the run directory"), "\(output)")
            #expect(shop.requests.entries.isEmpty)
        }
    }

    static func drill(_ mode: PaymentMode) async throws -> (status: Int32, output: String) {
        try await PaymentDrillFixture.withChannels { simulators in
            try await withReferenceShop(PaymentDrillFixture.shop(simulators, mode: mode)) { _, url in
                let channels = simulators.map { "\($0.name): \"\($0.baseURL)\"" }.joined(separator: ", ")
                let scenario = """
                    name: drill
                    drill:
                      primary: alipay
                      channels: {\(channels)}
                      faults:
                        - {channel: alipay, kind: timeout, at: "00:00:02", lasting: 2500ms}
                      orders: /admin/orders
                      attempts: /admin/payments
                    thresholds: ["p99(all) < 5s"]
                    flows:
                      - name: checkout
                        steps:
                          - {name: order, post: /orders, json: {sku: SKU-0001, qty: 1}, expect: 201,
                             extract: {order_id: $.id}}
                          - name: pay
                            post: /orders/{{order_id}}/pay
                            json: {}
                            expect: 200
                            payment: {order: "{{order_id}}", channel: $.channel}
                    """
                let (status, output, runs) = try await Self.run(
                    profile: "name: drill\nstages:\n  - {duration: 6s, from: 1, to: 1}\n", scenario: scenario,
                    target: url, rate: "30/s")
                try? FileManager.default.removeItem(at: runs)
                return (status, output)
            }
        }
    }

    /// A drill whose simulators are not running does not start (exit 4), and says what starts them.
    @Test func aDrillWithoutItsSimulatorsExits4AndSaysWhatStartsThem() async throws {
        try await withReferenceShop { _, url in
            let scenario = """
                name: drill
                drill:
                  primary: alipay
                  channels: {alipay: "http://127.0.0.1:9"}
                flows:
                  - name: checkout
                    steps:
                      - {name: order, post: /orders, json: {sku: SKU-0001, qty: 1}, expect: 201}
                """
            let (status, output, runs) = try await Self.run(
                profile: "name: drill\nstages:\n  - {duration: 3s, from: 1, to: 1}\n", scenario: scenario,
                target: url, rate: "5/s")
            try? FileManager.default.removeItem(at: runs)
            #expect(status == 4, "\(output)")
            #expect(
                output.contains("the drill channel alipay at http://127.0.0.1:9 cannot be reset: ")
                    && output.contains("(nothing listens there: `stampede payments` starts the simulators"),
                "\(output)")
        }
    }

    @Test func aSafeFailoverDrillExits0() async throws {
        let (status, output) = try await Self.drill(.safe)
        #expect(status == 0, "\(output)")
    }

    @Test func aNaiveFailoverDrillDoubleChargesWithExit2() async throws {
        let (status, output) = try await Self.drill(.naive)
        #expect(status == 2, "\(output)")
        #expect(output.contains("  - payments: ") && output.contains("DOUBLE CHARGES"), "\(output)")
    }
}
