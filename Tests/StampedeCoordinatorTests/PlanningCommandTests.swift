import Foundation
import StampedeConfig
import StampedeCore
import StampedeProcess
import StampedeShop
import StampedeTestKit
import Testing

/// The planning commands end to end, as a user runs them: `stampede search` against a shop with a capacity
/// limit, `stampede profile from-log` on a log file, `stampede plan` on the Double 11 profile.
@Suite(.serialized, .timeLimit(.minutes(4)))
struct PlanningCommandTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// A scenario of one step: a product page of the reference shop.
    static func productPage(in cluster: ProcessTests.Cluster) throws -> String {
        try cluster.write(
            "scenario.yaml",
            "name: product-page\nflows:\n  - name: shopper\n    steps:\n"
                + "      - {name: product, get: /products/SKU-0001}\n")
    }

    /// A shop that answers 429 beyond 4 requests in progress, each taking 20 ms: about 4 / 21 ms ≈ 190 requests/s.
    /// The search's knee brackets the capacity measured from its own held steps, within --resolution.
    @Test func theSearchFindsTheKneeOfAShopWithACapacityLimit() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        var configuration = ShopConfiguration()
        configuration.maxInFlight = 4
        configuration.faults = ShopFaults.Settings(delays: [.product: .milliseconds(20)])
        try await withReferenceShop(configuration) { _, url in
            let scenario = try Self.productPage(in: cluster)
            let search = try cluster.spawn(
                "stampede",
                [
                    "search", "--scenario", scenario, "--target", url, "--arrivals", "uniform", "--from", "50/s",
                    "--max-rate", "400/s", "--resolution", "20/s", "--hold", "3s", "--settle", "1s", "--slo",
                    "rate(429) < 1%", "--runs", cluster.runs.path, "--id", "knee", "--threads", "2",
                ], log: "search.log")
            #expect(await cluster.wait(search, limit: .seconds(180)), "\(cluster.log("search.log"))")
            #expect(search.terminationStatus == 0, "\(cluster.log("search.log"))")
            let data = try Data(contentsOf: cluster.runs.appendingPathComponent("knee/search.json"))
            let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(result["conclusion"] as? String == "knee", "\(result)")
            let lastGood = try #require(result["lastGood"] as? Double)
            let firstBad = try #require(result["firstBad"] as? Double)
            #expect(firstBad - lastGood <= 20)
            let steps = try #require(result["steps"] as? [[String: Any]])
            let held = steps.filter { ($0["verdict"] as? [String: Any])?["held"] != nil }
            let p50 = held.compactMap { $0["p50"] as? Double }.max() ?? 0
            let capacity = 4 / (p50 / 1000)
            #expect(lastGood - 20 <= capacity && capacity <= firstBad + 20, "capacity \(capacity): \(result)")
            #expect(FileManager.default.fileExists(atPath: cluster.runs.appendingPathComponent("knee/search.txt").path))
            #expect(cluster.log("search.log").contains("Knee: "))
            // Each step's local worker ran the threads asked for.
            let knee = cluster.runs.appendingPathComponent("knee")
            let stepDirectories = try FileManager.default.contentsOfDirectory(atPath: knee.path).filter {
                FileManager.default.fileExists(atPath: knee.appendingPathComponent("\($0)/workers/w1.log").path)
            }
            #expect(stepDirectories.count == steps.count, "\(stepDirectories)")
            for step in stepDirectories {
                let log = try String(contentsOf: knee.appendingPathComponent("\(step)/workers/w1.log"), encoding: .utf8)
                #expect(log.contains("threads=2"), "\(step): \(log)")
            }
        }
    }

    /// The steps played by a worker on "another machine": started first with --rejoin, it plays every step's
    /// share and ends when no step comes back.
    @Test func theSearchRunsDistributedWithWorkersThatRejoin() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { shop, url in
            let port = try FleetTests.freePort()
            let worker = try cluster.spawn(
                "stampede-worker",
                ["--coordinator", "127.0.0.1:\(port)", "--name", "remote", "--rejoin", "--join-timeout", "5s"],
                log: "worker.log")
            let scenario = try Self.productPage(in: cluster)
            let search = try cluster.spawn(
                "stampede",
                [
                    "search", "--scenario", scenario, "--target", url, "--from", "20/s", "--max-rate", "40/s",
                    "--hold", "2s", "--settle", "0s", "--slo", "error_rate(all) < 1%", "--listen", "127.0.0.1:\(port)",
                    "--workers", "1", "--runs", cluster.runs.path, "--id", "remote",
                ], log: "search.log")
            #expect(await cluster.wait(search, limit: .seconds(90)), "\(cluster.log("search.log"))")
            #expect(search.terminationStatus == 0, "\(cluster.log("search.log"))")
            #expect(cluster.log("search.log").contains("Every step held, up to --max-rate: 40/s"))
            #expect(await cluster.wait(worker, limit: .seconds(30)), "\(cluster.log("worker.log"))")
            #expect(worker.terminationStatus == 0, "\(cluster.log("worker.log"))")
            #expect(cluster.log("worker.log").contains("2 runs played"), "\(cluster.log("worker.log"))")
            #expect(Set(shop.requests.entries.compactMap(\.worker)) == ["remote"])
        }
    }

    /// The shop goes down as the second step starts (its process killed): that step reaches no request and breaks
    /// once --unreached-after has passed, saying so, and so do the steps after it. The knee is the rate that held.
    /// (A target no request reaches in the first step stops the search instead: there is nothing to search.)
    @Test func aShopThatGoesDownDuringTheSearchBreaksTheStepsAfter() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        let port = try FleetTests.freePort()
        let shop = try cluster.spawn("stampede", ["shop", "--port", "\(port)"], log: "shop.log")
        defer { _ = shop.send(SIGKILL) }
        for _ in 0..<400 where !cluster.log("shop.log").contains("listening") {
            try await Task.sleep(for: .milliseconds(25))
        }
        let search = try cluster.spawn(
            "stampede",
            [
                "search", "--scenario", try Self.productPage(in: cluster), "--target", "http://127.0.0.1:\(port)",
                "--from", "20/s", "--max-rate", "80/s", "--resolution", "10/s", "--hold", "2s", "--settle", "0s",
                "--unreached-after", "1s", "--runs", cluster.runs.path, "--id", "down",
            ], log: "search.log")
        for _ in 0..<1_200 where !cluster.log("search.log").contains("search: step 2") {
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(shop.send(SIGKILL))
        #expect(await cluster.wait(search, limit: .seconds(90)), "\(cluster.log("search.log"))")
        let log = cluster.log("search.log")
        #expect(search.terminationStatus == 0, "\(log)")
        #expect(log.contains("search: 20/s held"), "\(log)")
        #expect(log.contains("search: 40/s broke: the run did not complete: the target never answered"), "\(log)")
        let data = try Data(contentsOf: cluster.runs.appendingPathComponent("down/search.json"))
        let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(result["conclusion"] as? String == "knee", "\(result)")
        #expect(result["lastGood"] as? Double == 20)
        #expect(result["firstBad"] as? Double == 30, "\(result)")
    }

    /// Ctrl-C during the second step: the search exits 4 and still writes what it played (it wrote nothing, and the
    /// step that held was known only from the console).
    @Test func anInterruptedSearchKeepsTheStepsItPlayed() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { _, url in
            let search = try cluster.spawn(
                "stampede",
                [
                    "search", "--scenario", try Self.productPage(in: cluster), "--target", url, "--from", "20/s",
                    "--max-rate", "160/s", "--hold", "3s", "--settle", "0s", "--runs", cluster.runs.path, "--id",
                    "stopped",
                ], log: "search.log")
            for _ in 0..<1_200 where !cluster.log("search.log").contains("search: step 2") {
                try await Task.sleep(for: .milliseconds(25))
            }
            try await Task.sleep(for: .milliseconds(500))
            #expect(search.send(SIGINT))
            #expect(await cluster.wait(search, limit: .seconds(30)), "\(cluster.log("search.log"))")
            let log = cluster.log("search.log")
            #expect(search.terminationStatus == 4, "\(log)")
            let why = "the search was stopped during the step at 40/s: interrupted by a signal"
            #expect(log.contains("The search did not finish: \(why)"), "\(log)")
            let directory = cluster.runs.appendingPathComponent("stopped")
            let text = try String(contentsOf: directory.appendingPathComponent("search.txt"), encoding: .utf8)
            #expect(text.contains("        20"), "\(text)")
            let data = try Data(contentsOf: directory.appendingPathComponent("search.json"))
            let result = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            #expect(result["stopped"] as? String == why, "\(result)")
            #expect((result["steps"] as? [Any])?.count == 1, "\(result)")
            #expect(result["conclusion"] == nil, "\(result)")
        }
    }

    @Test func profileFromLogWritesAProfileThatLoads() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        var lines: [String] = []
        for minute in 0..<(24 * 60) {
            // 3 checkouts a minute, 40 in each of the first two minutes of 20:00, and a page view between.
            let count = minute == 20 * 60 || minute == 20 * 60 + 1 ? 40 : 3
            let time = String(format: "11/Nov/2025:%02d:%02d:00 +0800", minute / 60, minute % 60)
            for _ in 0..<count {
                lines.append("1.2.3.4 - - [\(time)] \"POST /api/checkout HTTP/1.1\" 200 10 \"-\" \"x\"")
            }
            lines.append("1.2.3.4 - - [\(time)] \"GET /index.html HTTP/1.1\" 200 10 \"-\" \"x\"")
        }
        let log = try cluster.write("shop-access.log", lines.joined(separator: "\n") + "\nnot a log line\n")
        let output = cluster.directory.appendingPathComponent("derived.yaml").path
        let process = try cluster.spawn(
            "stampede", ["profile", "from-log", log, "--path", "^/api/checkout", "--output", output],
            log: "from-log.log")
        #expect(await cluster.wait(process, limit: .seconds(60)))
        #expect(process.terminationStatus == 0, "\(cluster.log("from-log.log"))")
        let profile = try ProfileLoader.load(path: output)
        #expect(profile.timeZone == "Etc/GMT-8")
        #expect(profile.spikes.count == 1 && profile.spikes.first?.start == 20 * 3600)
        #expect(profile.spikes.first?.duration == 120)
        let text = try String(contentsOfFile: output, encoding: .utf8)
        #expect(text.contains("left out by --path: 1440"), "\(text)")
        #expect(text.contains("skipped, no time: 1 (the first at line"), "\(text)")

        // The same day rotated and compressed (`access.log.1.gz`), read with its neighbour: it read as binary lines,
        // all skipped, and said "no request was counted".
        let rotated = cluster.directory.appendingPathComponent("2025.log.1.gz").path
        let plain = [UInt8](try Data(contentsOf: URL(fileURLWithPath: log)))
        try Data(try CompressedFixture.gzip(plain)).write(to: URL(fileURLWithPath: rotated))
        let second = try cluster.write("broken.log", "no time here\n")
        let both = cluster.directory.appendingPathComponent("both.yaml").path
        let fromGzip = try cluster.spawn(
            "stampede", ["profile", "from-log", rotated, second, "--path", "^/api/checkout", "--output", both],
            log: "from-gzip.log")
        #expect(await cluster.wait(fromGzip, limit: .seconds(60)))
        #expect(fromGzip.terminationStatus == 0, "\(cluster.log("from-gzip.log"))")
        let again = try ProfileLoader.load(path: both)
        // Named after the first file, quoted as YAML would read 2025 as a number; the same shape.
        #expect(again.name == "2025")
        #expect(again.shape == profile.shape && again.spikes == profile.spikes)
        let bothText = try String(contentsOfFile: both, encoding: .utf8)
        #expect(bothText.contains("skipped, no time: 2 (the first at \(rotated):"), "\(bothText)")

        // A folder for a log opens, then fails its first read: it said exit 70 with Foundation's
        // `NSCocoaErrorDomain Code=256` dump.
        let folder = try cluster.spawn("stampede", ["profile", "from-log", cluster.directory.path], log: "folder.log")
        #expect(await cluster.wait(folder, limit: .seconds(60)))
        #expect(folder.terminationStatus == 64)
        #expect(
            cluster.log("folder.log").contains("cannot read \(cluster.directory.path): is a directory"),
            "\(cluster.log("folder.log"))")
    }

    @Test func planPrintsTheFleetForTheDouble11Peak() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        let root = Self.repository
        let process = try cluster.spawn(
            "stampede",
            [
                "plan", "--profile", root.appendingPathComponent("profiles/double11.yaml").path, "--scenario",
                root.appendingPathComponent("scenarios/reference-shop.yaml").path, "--peak-rate", "583000/s",
                "--speed", "1x",
            ], log: "plan.log")
        #expect(await cluster.wait(process, limit: .seconds(60)))
        #expect(process.terminationStatus == 0, "\(cluster.log("plan.log"))")
        let text = cluster.log("plan.log")
        #expect(text.contains("peak 583,000 arrivals/s"), "\(text)")
        #expect(text.contains("buyer/pay"))
        #expect(text.contains("  worker cores        62"), "\(text)")
        #expect(text.contains("  workers             31, each about"), "\(text)")
        // 1,218,470 shoppers in flight over 31 workers: 39,305 each, four times the default cap of 10,000.
        #expect(
            text.contains(
                "shoppers at once    39,305 a worker at the peak: run with --max-shoppers 50000 (it is 10,000"),
            "\(text)")
        #expect(!text.contains("Payment drill"))
        // A drill says when each fault strikes in the run: here the profile is played twice as fast.
        let drill = try cluster.spawn(
            "stampede",
            [
                "plan", "--profile", root.appendingPathComponent("profiles/payment-failover-drill.yaml").path,
                "--scenario", root.appendingPathComponent("scenarios/payment-failover-drill.yaml").path,
                "--speed", "2x",
            ], log: "drill.log")
        #expect(await cluster.wait(drill, limit: .seconds(60)))
        let drillText = cluster.log("drill.log")
        #expect(
            drillText.contains(
                "Payment drill: primary alipay; channels alipay http://127.0.0.1:9001, wechat http://127.0.0.1:9002, "
                    + "unionpay http://127.0.0.1:9003"), "\(drillText)")
        #expect(drillText.contains("  alipay timeout from 10 s to 30 s of the run (00:00:20 on the profile clock)"))
    }
}
