import Foundation
import StampedeClock
import StampedeCore
import StampedeProcess
import StampedeReport
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// The built executables as separate processes on loopback: SIGKILL a worker, SIGKILL the coordinator, and
/// measure how well three workers line up a burst.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct ProcessTests {
    /// The directory holding the built executables (next to the test bundle).
    static let binaries = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

    final class Cluster: @unchecked Sendable {
        // @unchecked: used from one test task at a time.
        let directory: URL
        let runs: URL
        var coordinator: ChildProcess?
        var workers: [ChildProcess] = []
        let token = "process-test-token"

        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-proc-\(UUID())")
            runs = directory.appendingPathComponent("runs")
            try FileManager.default.createDirectory(at: runs, withIntermediateDirectories: true)
        }

        func write(_ name: String, _ text: String) throws -> String {
            let path = directory.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }

        func spawn(_ executable: String, _ arguments: [String], log: String) throws -> ChildProcess {
            var environment = ProcessInfo.processInfo.environment
            environment["STAMPEDE_TOKEN"] = token
            return try ChildProcess.launch(
                executable.hasPrefix("/") ? executable : ProcessTests.binaries.appendingPathComponent(executable).path,
                arguments, environment: environment, output: directory.appendingPathComponent(log).path)
        }

        /// Starts a coordinator (waiting for `workers`) and the workers; returns when they are all connected.
        func start(
            profile: String, target: String, rate: String, workers: Int, id: String, startWorkers: Int? = nil,
            coordinatorArguments: [String] = []
        ) async throws {
            let scenario = try write(
                "scenario.yaml",
                """
                name: one-get
                flows:
                  - name: get
                    steps:
                      - {name: products, get: /products, expect: 200}
                """)
            let profilePath = try write("profile.yaml", profile)
            let portFile = directory.appendingPathComponent("coordinator.port").path
            coordinator = try spawn(
                "stampede-coordinator",
                [
                    "--profile", profilePath, "--scenario", scenario, "--target", target, "--peak-rate", rate,
                    "--arrivals", "uniform", "--seed", "7", "--workers", String(workers), "--listen", "127.0.0.1:0",
                    "--port-file", portFile, "--runs", runs.path, "--id", id, "--quiet",
                ] + coordinatorArguments, log: "coordinator.log")
            var port: String?
            for _ in 0..<200 {
                if let text = try? String(contentsOfFile: portFile, encoding: .utf8), !text.isEmpty {
                    port = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    break
                }
                try await Task.sleep(for: .milliseconds(50))
            }
            guard let port else { throw FixtureError("the coordinator did not listen: \(log("coordinator.log"))") }
            for index in 1...(startWorkers ?? workers) {
                self.workers.append(
                    try spawn(
                        "stampede-worker", ["--coordinator", "127.0.0.1:\(port)", "--name", "w\(index)"],
                        log: "w\(index).log"))
            }
        }

        func log(_ name: String) -> String {
            (try? String(contentsOfFile: directory.appendingPathComponent(name).path, encoding: .utf8)) ?? ""
        }

        /// Runs `stampede` with each command line, expects it refused (exit 64) saying its text, and gives each
        /// output for what else the caller checks.
        func refusals(
            _ cases: [(arguments: [String], says: String)], log: String, limit: Duration = .seconds(20)
        ) async throws -> [(arguments: [String], output: String)] {
            var outputs: [(arguments: [String], output: String)] = []
            for (index, (arguments, says)) in cases.enumerated() {
                let process = try spawn("stampede", arguments, log: "\(log)\(index).log")
                let ended = await wait(process, limit: limit)
                // One that was not refused (a shop that listens) is ended here: cleanUp knows only the run's.
                if !ended { process.send(SIGKILL) }
                #expect(ended, "\(arguments) still ran after \(limit)")
                let output = self.log("\(log)\(index).log")
                #expect(process.terminationStatus == 64, "\(arguments): \(output)")
                #expect(output.contains(says), "\(arguments): \(output)")
                outputs.append((arguments, output))
            }
            return outputs
        }

        /// Waits for a process to exit; false if it did not within `limit`.
        func wait(_ process: ChildProcess, limit: Duration) async -> Bool {
            let deadline = ContinuousClock.now + limit
            while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
            return !process.isRunning
        }

        func report(_ id: String) throws -> RunReport {
            try JSONReport.decode(
                Data(contentsOf: runs.appendingPathComponent(id).appendingPathComponent("report.json")))
        }

        /// Ends every process we started that still runs (SIGKILL, by PID), and removes the files.
        func cleanUp() {
            for process in workers + [coordinator].compactMap({ $0 }) { process.send(SIGKILL) }
            try? FileManager.default.removeItem(at: directory)
        }
    }

    static func steady(seconds: Int) -> String {
        "name: steady\nstages:\n  - {duration: \(seconds)s, from: 1, to: 1}\n"
    }

    /// Polls until the run has started (the coordinator prints nothing in quiet mode; the shop sees requests).
    static func waitForLoad(_ shop: ReferenceShop) async throws {
        for _ in 0..<200 where shop.requests.entries.isEmpty { try await Task.sleep(for: .milliseconds(25)) }
    }

    @Test func aKilledWorkerIsReplacedWithinSecondsAndTheGapReported() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { shop, url in
            try await cluster.start(
                profile: Self.steady(seconds: 9), target: url, rate: "90/s", workers: 3, id: "kill-worker")
            try await Self.waitForLoad(shop)
            try await Task.sleep(for: .milliseconds(3_000))
            let killed = ProcessClock.nanoseconds
            #expect(cluster.workers[1].send(SIGKILL))
            #expect(await cluster.wait(cluster.coordinator!, limit: .seconds(40)), "\(cluster.log("coordinator.log"))")
            let report = try cluster.report("kill-worker")
            let start = try #require(report.run.startMonotonicNanos)
            let killSecond = Double(killed - start) / 1e9
            let gap = try #require(report.gaps.first, "no gap in \(cluster.log("coordinator.log"))")
            #expect(gap.worker == "w2")
            #expect(gap.lostAt - killSecond <= 2, "lost at \(gap.lostAt) s, killed at \(killSecond) s")
            #expect(gap.to - killSecond <= 3)
            for point in report.timeline where Double(point.second) >= gap.to && Double(point.second) < 9 {
                #expect(
                    abs(Double(point.shoppers.started) - point.expected) <= max(3, 0.1 * point.expected),
                    "second \(point.second): started \(point.shoppers.started), expected \(point.expected)")
            }
            let expectedSent = report.totals.expected - Double(gap.plannedNotSent)
            // The survivors ended normally, and said nothing about a coordinator gone.
            for survivor in ["w1.log", "w3.log"] {
                #expect(!cluster.log(survivor).contains("the coordinator is gone"), "\(cluster.log(survivor))")
                #expect(cluster.log(survivor).contains("the plan is over"), "\(cluster.log(survivor))")
            }
            #expect(
                abs(Double(report.totals.shoppers.started) - expectedSent) <= 0.02 * expectedSent,
                "started \(report.totals.shoppers.started), plan minus gap \(expectedSent)")
            print(
                "kill-worker: lost \(Format.fixed(gap.lostAt - killSecond, 3)) s after SIGKILL; handover at "
                    + "\(Format.fixed(gap.to - killSecond, 2)) s after; gap \(gap.plannedNotSent) arrivals; started "
                    + "\(report.totals.shoppers.started) vs plan minus gap \(Format.fixed(expectedSent, 0))")
        }
    }

    @Test func workersStopWhenTheCoordinatorIsKilledAndTheRunDirectoryStillRebuilds() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { shop, url in
            try await cluster.start(
                profile: Self.steady(seconds: 30), target: url, rate: "60/s", workers: 3, id: "kill-coordinator")
            try await Self.waitForLoad(shop)
            try await Task.sleep(for: .milliseconds(2_500))
            let killed = ProcessClock.nanoseconds
            #expect(cluster.coordinator!.send(SIGKILL))
            for worker in cluster.workers { #expect(await cluster.wait(worker, limit: .seconds(8))) }
            let last = try #require(shop.requests.entries.map(\.nanos).max())
            let after = Double(last - killed) / 1e9
            #expect(after < 3, "a request \(after) s after the coordinator died")
            print("kill-coordinator: last request \(Format.fixed(after * 1000, 1)) ms after SIGKILL (lease 3 s)")
            // The run directory rebuilds into a report.
            let rebuild = try cluster.spawn(
                "stampede", ["report", cluster.runs.appendingPathComponent("kill-coordinator").path], log: "report.log")
            #expect(await cluster.wait(rebuild, limit: .seconds(20)))
            // Rebuilt, and judged as it was: a run that did not complete (exit 4).
            #expect(rebuild.terminationStatus == 4, "\(cluster.log("report.log"))")
            let rebuilt = try cluster.report("kill-coordinator")
            #expect(rebuilt.totals.shoppers.started > 0)
            #expect(rebuilt.run.interrupted)
        }
    }

    @Test func threeWorkersLineUpABurst() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let profile = """
            name: burst
            stages:
              - {duration: 4s, from: 1, to: 1}
            spikes:
              - {at: "00:00:02", lasting: 300ms, level: 20, label: burst}
            """
        try await withReferenceShop { shop, url in
            try await cluster.start(profile: profile, target: url, rate: "600/s", workers: 3, id: "burst")
            #expect(await cluster.wait(cluster.coordinator!, limit: .seconds(40)), "\(cluster.log("coordinator.log"))")
            let report = try cluster.report("burst")
            let start = try #require(report.run.startMonotonicNanos)
            // Each request's lateness against its planned instant (the plan is known: uniform arrivals, seed 7).
            let plan = try Plan(
                profile: Profile(
                    name: "burst", shape: .stages([Stage(duration: 4, from: 1, to: 1)]),
                    spikes: [Spike(label: "burst", start: 2, duration: 0.3, level: 20)]),
                scale: RunScale(peakRate: 600, compression: .speed(1)))
            var planned: [UInt64: Double] = [:]
            for arrival in ArrivalSequence(plan: plan, process: .uniform, seed: 7) {
                planned[arrival.index] = arrival.time
            }
            var lateness: [String: [Double]] = [:]
            var firstInBurst: [String: Double] = [:]
            for entry in shop.requests.entries {
                guard let worker = entry.worker, let index = entry.shopper, let due = planned[index], due >= 2,
                    due < 2.3
                else {
                    continue
                }
                let late = Double(entry.nanos - start) / 1e9 - due
                lateness[worker, default: []].append(late)
                firstInBurst[worker] = min(firstInBurst[worker] ?? .infinity, Double(entry.nanos - start) / 1e9)
            }
            #expect(lateness.keys.sorted() == ["w1", "w2", "w3"])
            let medians = lateness.mapValues { values in values.sorted()[values.count / 2] }
            let spread = (medians.values.max() ?? 0) - (medians.values.min() ?? 0)
            #expect(spread < 0.010, "median lateness per worker: \(medians)")
            let firsts = firstInBurst.values
            print(
                "burst: median lateness per worker \(medians.mapValues { Format.fixed($0 * 1000, 2) }) ms; spread "
                    + "\(Format.fixed(spread * 1000, 2)) ms; first burst request per worker within "
                    + "\(Format.fixed(((firsts.max() ?? 0) - (firsts.min() ?? 0)) * 1000, 2)) ms")
        }
    }

    /// Two workers expected, one comes: the coordinator gives up at the registration deadline, names who joined,
    /// and exits non-zero; the worker that came is told why.
    @Test func aCoordinatorWhoseWorkersDoNotComeGivesUp() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { shop, url in
            try await cluster.start(
                profile: Self.steady(seconds: 5), target: url, rate: "10/s", workers: 2, id: "unattended",
                startWorkers: 1, coordinatorArguments: ["--registration-timeout", "2s"])
            #expect(await cluster.wait(cluster.coordinator!, limit: .seconds(20)), "\(cluster.log("coordinator.log"))")
            #expect(cluster.coordinator!.terminationStatus == 4)
            let log = cluster.log("coordinator.log")
            #expect(log.contains("1 of 2 workers (joined: w1); 1 did not join"), "\(log)")
            #expect(!log.contains("Usage:"))
            #expect(await cluster.wait(cluster.workers[0], limit: .seconds(10)))
            #expect(cluster.log("w1.log").contains("registration deadline"), "\(cluster.log("w1.log"))")
            #expect(shop.requests.entries.isEmpty)
        }
    }

    /// The engine asks for no privilege: as an ordinary user (uid 10001, as in the image), `bench-http` connects
    /// and gets answers. (It once set SO_DEBUG on every socket, which only root may: a container's user could not
    /// connect at all.) Skipped when the tests are not run as root (then they are that ordinary user already).
    @Test(.enabled(if: getuid() == 0, "needs root to become another user"))
    func theEngineWorksForAnOrdinaryUser() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { _, url in
            let bench = try cluster.spawn(
                "/usr/bin/setpriv",
                [
                    "--reuid", "10001", "--regid", "10001", "--clear-groups",
                    ProcessTests.binaries.appendingPathComponent("stampede").path, "bench-http", "\(url)/health",
                    "--duration", "1s",
                ], log: "bench.log")
            #expect(await cluster.wait(bench, limit: .seconds(20)))
            #expect(bench.terminationStatus == 0, "\(cluster.log("bench.log"))")
            #expect(cluster.log("bench.log").contains("errors=0"), "\(cluster.log("bench.log"))")
        }
    }

    /// `stampede scenario from-har` writes a draft that `stampede validate` accepts, and lists its guesses.
    @Test func theRecordingBecomesAScenarioFileThatValidates() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let repository = PlanningCommandTests.repository
        let har = repository.appendingPathComponent("Tests/StampedeRecorderTests/Recordings/storefront.har").path
        let draft = cluster.directory.appendingPathComponent("draft.yaml").path
        let convert = try cluster.spawn("stampede", ["scenario", "from-har", har, "--output", draft], log: "har.log")
        #expect(await cluster.wait(convert, limit: .seconds(20)))
        #expect(convert.terminationStatus == 0, "\(cluster.log("har.log"))")
        #expect(cluster.log("har.log").contains("wrote \(draft): 7 steps from 11 requests"))
        #expect(cluster.log("har.log").contains("guess: post-accounts-login: login-username was typed"))
        // `--scenario` alone is a scenario to check, as `stampede run` takes it (it was refused: "go together").
        let validate = try cluster.spawn("stampede", ["validate", "--scenario", draft], log: "validate.log")
        #expect(await cluster.wait(validate, limit: .seconds(20)))
        #expect(validate.terminationStatus == 0, "\(cluster.log("validate.log"))")
        #expect(cluster.log("validate.log").contains("\(draft): ok"), "\(cluster.log("validate.log"))")
        // With the storefront's profile, whose flash sale plays a flow the recording does not have: the pair does
        // not fit, as `stampede run` would have said.
        let storefront = repository.appendingPathComponent("profiles/storefront.yaml").path
        let pair = try cluster.spawn(
            "stampede", ["validate", "--profile", storefront, "--scenario", draft], log: "pair.log")
        #expect(await cluster.wait(pair, limit: .seconds(20)))
        #expect(pair.terminationStatus == 64, "\(cluster.log("pair.log"))")
        #expect(
            cluster.log("pair.log").contains(
                "\(storefront): bursts[0].flow: no flow \"flash-buyer\" in \(draft) (its flows: recorded)"),
            "\(cluster.log("pair.log"))")
    }

    /// A run directory that fills up mid-run is said in the system's words (it was Foundation's `Error
    /// Domain=NSCocoaErrorDomain Code=640 …`), the run goes on and prints its report whole, and it is not a pass:
    /// exit 70, where it exited 0 and printed "The charts: …/report.html" of a page it never wrote. The disk is a
    /// 48 KiB tmpfs (mounting one needs root, as the test command has; elsewhere the test says so and stops).
    @Test func aRunDirectoryThatFillsUpIsNotAPass() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let tiny = cluster.directory.appendingPathComponent("tiny")
        try FileManager.default.createDirectory(at: tiny, withIntermediateDirectories: true)
        func system(_ tool: String, _ arguments: [String]) throws -> Int32 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: tool)
            process.arguments = arguments
            try process.run()
            process.waitUntilExit()
            return process.terminationStatus
        }
        guard geteuid() == 0, try system("/usr/bin/mount", ["-t", "tmpfs", "-o", "size=48k", "tmpfs", tiny.path]) == 0
        else {
            print("aRunDirectoryThatFillsUpIsNotAPass: cannot mount a tmpfs here (needs root); not checked")
            return
        }
        defer { _ = try? system("/usr/bin/umount", [tiny.path]) }
        let scenario = try cluster.write(
            "full.yaml", "name: full\nflows:\n  - {name: browse, steps: [{name: list, get: /products}]}\n")
        let profile = try cluster.write("three.yaml", "name: three\nstages:\n  - {duration: 3s, from: 1, to: 1}\n")
        try await withReferenceShop { _, url in
            let run = try cluster.spawn(
                "stampede",
                [
                    "run", "--profile", profile, "--scenario", scenario, "--target", url, "--peak-rate", "20/s",
                    "--runs", tiny.path, "--quiet",
                ], log: "full.log")
            #expect(await cluster.wait(run, limit: .seconds(60)))
            let output = cluster.log("full.log")
            #expect(run.terminationStatus == 70, "\(output)")
            // The intervals may fit and the report not: either write says why.
            #expect(output.contains("/tiny/") && output.contains(": no space left on device"))
            #expect(output.contains("lacks part of the run (no space left on device); the report above is whole"))
            #expect(output.contains("Shoppers  expected 60"), "\(output)")
            #expect(!output.contains("The charts:") && !output.contains("NSCocoaErrorDomain"), "\(output)")
            // Rebuilt on the full disk, the reports cannot be written either; said so, not Foundation's error.
            let made = try #require(try FileManager.default.contentsOfDirectory(atPath: tiny.path).first)
            let rebuild = try cluster.spawn(
                "stampede", ["report", tiny.appendingPathComponent(made).path], log: "rebuild.log")
            #expect(await cluster.wait(rebuild, limit: .seconds(30)))
            #expect(rebuild.terminationStatus == 70, "\(cluster.log("rebuild.log"))")
            #expect(
                cluster.log("rebuild.log").contains("stampede report: cannot write the reports into ")
                    && cluster.log("rebuild.log").hasSuffix(": no space left on device\n"),
                "\(cluster.log("rebuild.log"))")
        }
    }

    /// A runtime failure is one line and its exit code, never the usage; argument mistakes still show the usage.
    @Test func runtimeErrorsAreOneLineUsageErrorsShowTheUsage() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let closed = try cluster.spawn(
            "stampede", ["bench-http", "http://127.0.0.1:9/", "--duration", "1s"], log: "closed.log")
        #expect(await cluster.wait(closed, limit: .seconds(20)))
        #expect(closed.terminationStatus == 4, "\(cluster.log("closed.log"))")
        let output = cluster.log("closed.log")
        #expect(output.hasPrefix("stampede bench-http: http://127.0.0.1:9/"), "\(output)")
        #expect(!output.contains("Usage"), "\(output)")
        #expect(output.split(separator: "\n").count == 1, "\(output)")
        // A swarm whose coordinator is not there says so as a worker does, exit 4 (gRPC's "unavailable: Could not
        // establish a connection … (errno: 111)", exit 70).
        let token = try cluster.write("token", "swarm-token\n")
        let swarm = try cluster.spawn(
            "stampede", ["swarm", "--coordinator", "127.0.0.1:9", "--token-file", token], log: "swarm.log")
        #expect(await cluster.wait(swarm, limit: .seconds(30)))
        #expect(swarm.terminationStatus == 4, "\(cluster.log("swarm.log"))")
        #expect(
            cluster.log("swarm.log").contains(
                "stampede swarm: the coordinator at 127.0.0.1:9 did not answer within 10.0 seconds"),
            "\(cluster.log("swarm.log"))")
        let usage = try cluster.spawn("stampede", ["bench-http", "not-a-url"], log: "usage.log")
        #expect(await cluster.wait(usage, limit: .seconds(20)))
        #expect(usage.terminationStatus == 64)
        #expect(cluster.log("usage.log").contains("Usage"))
        let refill = try cluster.spawn(
            "stampede", ["bench-http", "http://127.0.0.1:9/", "-m", "8", "--refill", "9"], log: "refill.log")
        #expect(await cluster.wait(refill, limit: .seconds(20)))
        #expect(refill.terminationStatus == 64)
        #expect(
            cluster.log("refill.log").contains("--refill: expected 1 to -m (8), found 9"),
            "\(cluster.log("refill.log"))")
    }

    /// A port asked for that another process has is refused before anything is sent, named with its option, exit
    /// 64: the coordinator's `--listen` port used to be found taken only after the target was set up (its stock
    /// reset), and failed with gRPC's "serverIsStopped", exit 70; the others with NIO's "bind(…): Address already
    /// in use) (errno: 98)", exit 70.
    @Test func aPortAnotherProcessHasIsRefusedBeforeAnythingIsSent() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let repository = PlanningCommandTests.repository
        let profile = repository.appendingPathComponent("profiles/flash-sale.yaml").path
        let scenario = repository.appendingPathComponent("scenarios/flash-sale.yaml").path
        let token = try cluster.write("token", "secret\n")
        try await withReferenceShop { _, url in
            let taken = try #require(URL(string: url)?.port)
            let run = [
                "--profile", profile, "--scenario", scenario, "--target", url, "--duration", "5s", "--runs",
                cluster.runs.path, "--quiet",
            ]
            let refused: [(arguments: [String], says: String)] = [
                (
                    ["shop", "--port", "\(taken)"],
                    "stampede shop: cannot listen on 127.0.0.1:\(taken) (--host, --port)"
                ),
                (["payments", "--channel", "alipay=\(taken)"], "(--channel alipay=\(taken))"),
                (
                    ["coordinator", "--listen", "127.0.0.1:\(taken)", "--token-file", token] + run,
                    "stampede coordinator: cannot listen on 127.0.0.1:\(taken) (--listen)"
                ),
                (["run", "--metrics-port", "\(taken)"] + run, "(--metrics-port)"),
                (["run", "--dashboard", "\(taken)"] + run, "(--dashboard)"),
            ]
            for (arguments, output) in try await cluster.refusals(refused, log: "taken") {
                #expect(
                    output.contains(": address already in use: another process has it (choose another port, or 0"),
                    "\(arguments): \(output)")
                #expect(!output.contains("target set up"), "\(arguments): \(output)")
            }
            // One port asked for twice: the second failed once the first listened (after the target was set up).
            let free = try PeerServer.freePort()
            let twice: [(arguments: [String], says: String)] = [
                (
                    ["payments", "--channel", "alipay=\(free)", "--channel", "wechat=\(free)"],
                    "cannot listen on 127.0.0.1:\(free) (--channel wechat=\(free)): --channel alipay=\(free) asks "
                        + "for it too"
                ),
                (
                    ["run", "--metrics-port", "\(free)", "--dashboard", "\(free)"] + run,
                    "cannot listen on 127.0.0.1:\(free) (--dashboard): --metrics-port asks for it too"
                ),
                (
                    [
                        "coordinator", "--listen", "127.0.0.1:\(free)", "--metrics-port", "\(free)", "--token-file",
                        token,
                    ]
                        + run,
                    "(--metrics-port): --listen asks for it too"
                ),
            ]
            for (arguments, output) in try await cluster.refusals(twice, log: "twice") {
                #expect(!output.contains("target set up"), "\(arguments): \(output)")
            }
            // An address this machine does not have, with port 0 (a free one): NIO's error, exit 70. 192.0.2.1 is
            // TEST-NET-1, never a local address; no name is looked up.
            let elsewhere: [(arguments: [String], says: String)] = [
                (
                    ["shop", "--host", "192.0.2.1", "--port", "0"],
                    "stampede shop: cannot listen on 192.0.2.1:0 (--host, --port): cannot assign requested address: "
                        + "this machine has no such address"
                ),
                (
                    ["payments", "--host", "192.0.2.1", "--channel", "a=0"],
                    "cannot listen on 192.0.2.1:0 (--channel a=0)"
                ),
                (
                    ["coordinator", "--listen", "192.0.2.1:0", "--token-file", token] + run,
                    "cannot listen on 192.0.2.1:0 (--listen)"
                ),
                (["run", "--dashboard", "0", "--dashboard-host", "192.0.2.1"] + run, "192.0.2.1:0 (--dashboard)"),
            ]
            for (arguments, output) in try await cluster.refusals(elsewhere, log: "elsewhere") {
                #expect(!output.contains("target set up"), "\(arguments): \(output)")
            }
            let made = (try? FileManager.default.contentsOfDirectory(atPath: cluster.runs.path)) ?? []
            #expect(made.isEmpty, "\(made)")
        }
    }

    /// What NIO would wrap or trap on (a port beyond 65535, no threads), a run name that is a path, and a negative
    /// number (`--peak-rate -5/s`, which ArgumentParser took for an option) are refused with that command's usage
    /// and exit 64, whether found while the command line is parsed or later; `stampede run --threads` reaches the
    /// workers it starts (it used to stop at the run); a search's SLO is checked against the scenario's flows.
    @Test func outOfRangeNumbersAndPathsAreRefusedAndThreadsReachTheWorkers() async throws {
        let cluster = try Cluster()
        defer { cluster.cleanUp() }
        let escaped = cluster.directory.appendingPathComponent("escaped")
        let notPEM = try cluster.write("not-a-ca.pem", "garbage\n")
        let refused: [(arguments: [String], says: String)] = [
            (["shop", "--port", "70000"], "expected a port from 0 (a free one) to 65535"),
            (["run", "--scenario", "unread.yaml", "--metrics-port", "65536"], "expected a port from 0"),
            (["run", "--scenario", "unread.yaml", "--dashboard", "70000"], "expected a port from 0"),
            (["run", "--scenario", "unread.yaml", "--threads", "0"], "--threads: expected 1 to 256, found 0"),
            (["worker", "--threads", "257"], "--threads: expected 1 to 256, found 257"),
            (
                ["search", "--scenario", "unread.yaml", "--max-rate", "100/s", "--threads", "0"],
                "--threads: expected 1 to 256, found 0"
            ),
            (
                ["run", "--scenario", "unread.yaml", "--runs", cluster.runs.path, "--id", "../escaped"],
                "--id: expected a name for the run's directory inside --runs, found \"../escaped\""
            ),
            // A run directory that is there already: exit 70 as the run made it, "A file with the same name …".
            (
                ["run", "--scenario", "unread.yaml", "--runs", cluster.directory.path, "--id", "not-a-ca.pem"],
                "--id: \(notPEM) is there already: choose another --id, or leave it out for a fresh name"
            ),
            (
                ["run", "--scenario", "unread.yaml", "--peak-rate", "fast"],
                "--peak-rate: expected a rate above 0 such as 800/s"
            ),
            (["validate"], "give the files to check, or --profile and --scenario"),
            (
                ["run", "--scenario", "unread.yaml", "--unreached-after", "soon"],
                "--unreached-after: expected a duration such as 10s, or 0 to never stop, at most 7d, found \"soon\""
            ),
            // A negative value is the option's (ArgumentParser took it for an option: "Missing value").
            (
                ["run", "--scenario", "unread.yaml", "--peak-rate", "-5/s"],
                "--peak-rate: expected a rate above 0 such as 800/s, at most 10000000000/s, found \"-5/s\""
            ),
            (
                ["search", "--scenario", "unread.yaml", "--max-rate", "1e300/s"],
                "--max-rate: expected a rate above 0 such as 2000/s, at most 10000000000/s, found \"1e300/s\""
            ),
            (
                ["run", "--scenario", "unread.yaml", "--timeout", "-1s"],
                "--timeout: expected a duration above 0 such as 10s, at most 7d, found \"-1s\""
            ),
            // Beyond what a timer or a pool can hold: these trapped (signal 4).
            (
                ["run", "--scenario", "unread.yaml", "--timeout", "99999999h"],
                "--timeout: expected a duration above 0 such as 10s, at most 7d, found \"99999999h\""
            ),
            (
                ["run", "--scenario", "unread.yaml", "--max-shoppers", "9000000000000000000"],
                "--max-shoppers: expected 1 to 10000000, found 9000000000000000000"
            ),
            (
                ["run", "--scenario", "unread.yaml", "--max-lost-workers", "-1"],
                "--max-lost-workers: expected 0 or more, found -1"
            ),
            (
                ["search", "--scenario", "unread.yaml", "--max-rate", "100/s", "--settle", "-3s"],
                "--settle: expected a duration such as 3s, or 0 to judge at once, at most 7d, found \"-3s\""
            ),
            (["shop", "--skus", "9000000000000000000"], "--skus: expected 1 to 1000000, found 9000000000000000000"),
            (["shop", "--stock", "-1"], "--stock: expected 0 to 2147483647, found -1"),
            (["shop", "--reservation-hold", "-1s"], "--reservation-hold: expected a duration above 0 such as 60s"),
            // Options that did nothing, or that made one SKU or channel name two things.
            (
                ["shop", "--payment-mode", "naive"],
                "--payment-mode acts on the payment channels, and there are none: give them with --payment NAME=URL"
            ),
            (
                ["shop", "--flash", "SKU-0002:5"],
                "--flash SKU-0002:5: SKU-0002 is one of the catalog's products (SKU-0001 to SKU-0020)"
            ),
            (["shop", "--flash", "X:5", "--flash", "X:7"], "--flash X:7: X is --flash X:5 too"),
            (
                ["shop", "--payment", "a=http://127.0.0.1:9001", "--payment", "a=http://127.0.0.1:9002"],
                "--payment a=http://127.0.0.1:9002: the name a is also --payment a=http://127.0.0.1:9001's"
            ),
            (["compare", "a", "b", "--tolerance", "-5%"], "--tolerance: expected a percentage such as 10%"),
            (["bench-http", "http://127.0.0.1:9/", "--duration", "2h"], "--duration: at most 1h, found \"2h\""),
            // A short option's negative value: "Missing value for '-m <m>'".
            (["bench-http", "http://127.0.0.1:9/", "-m", "-8"], "-m: expected 1 to 10000, found -8"),
            (["payments", "--latency", "-20ms"], "--latency: expected a duration such as 20ms, or 0 to answer"),
            // Two channels of one name, or on one port: the first listened before the second failed, or both ran
            // and a drill's ledgers could not tell them apart.
            (
                ["payments", "--channel", "alipay=0", "--channel", "alipay=0"],
                "--channel alipay=0: the name alipay is also --channel alipay=0's"
            ),
            (["payments", "--channel", "a b=0"], "--channel: expected NAME=PORT such as alipay=9001 (a name of"),
            // Mistakes found once the command runs show the command's usage too (they showed `stampede`'s).
            (["plan", "--scenario", "unread.yaml", "--headroom", "-5%"], "--headroom: expected a share such as 70%"),
            (["bench-http", "http://127.0.0.1:9/", "--header", "nocolon"], "--header: expected NAME: VALUE"),
            // A file to write in a folder that is not there: refused before any work (compare compared both runs,
            // then said exit 70 with Foundation's NSCocoaErrorDomain dump; shop ignored it).
            (
                ["compare", "a", "b", "--json", "/nonexistent/c.json"],
                "--json: cannot write /nonexistent/c.json: no such folder: /nonexistent"
            ),
            (["compare", "a", "b", "--markdown", cluster.directory.path], "--markdown: cannot write"),
            (["shop", "--port-file", "/nonexistent/port"], "--port-file: cannot write /nonexistent/port"),
            (["shop", "--request-log", "/nonexistent/log"], "--request-log: cannot write /nonexistent/log"),
            (
                ["coordinator", "--scenario", "unread.yaml", "--port-file", "/nonexistent/port"],
                "--port-file: cannot write /nonexistent/port"
            ),
            (["profile", "from-log", "a.log", "--output", "/nonexistent/p.yaml"], "--output: cannot write"),
            (["scenario", "from-har", "a.har", "--output", "/nonexistent/s.yaml"], "--output: cannot write"),
            // A CA file with no certificate in it: an https run failed its setup request (exit 4), bench-http
            // aborted (a double free).
            (
                ["run", "--scenario", "unread.yaml", "--ca", notPEM],
                "--ca: the CA file \(notPEM) holds no PEM certificate (error:"
            ),
            (["bench-http", "https://127.0.0.1:9/", "--ca", notPEM], "--ca: the CA file \(notPEM) holds no PEM"),
            // It exited 70, "Stampede itself failed", with swift-nio-ssl's `failedToLoadCertificate`.
            (
                ["shop", "--port", "0", "--tls-certificate", notPEM, "--tls-key", notPEM],
                "--tls-certificate, --tls-key: the certificate \(notPEM) holds no PEM certificate"
            ),
            // The workers' channel: the coordinator set the target up, then failed with gRPC's serverIsStopped
            // (exit 70); a worker's certificate without its key was dropped without a word.
            (
                ["coordinator", "--scenario", "unread.yaml", "--tls-cert", notPEM, "--tls-key", notPEM],
                "--tls-cert, --tls-key: the certificate \(notPEM) holds no PEM certificate"
            ),
            (
                ["coordinator", "--scenario", "unread.yaml", "--tls-cert", "/nonexistent.pem", "--tls-key", notPEM],
                "--tls-cert, --tls-key: cannot read the certificate /nonexistent.pem: no such file, or not readable"
            ),
            (["worker", "--ca", notPEM], "--ca: the CA file \(notPEM) holds no PEM certificate"),
            (["worker", "--tls-cert", notPEM], "give both --tls-cert and --tls-key"),
            // Each count says what it expects and what it found ("--workers must be 1 to 64"; for the seed only
            // "The value '-1' is invalid"; --capacity 0 was found after the token was read).
            (["run", "--scenario", "unread.yaml", "--workers", "65"], "--workers: expected 1 to 64, found 65"),
            (["coordinator", "--scenario", "unread.yaml", "--workers", "0"], "--workers: expected 1 or more, found 0"),
            (["worker", "--capacity", "0"], "--capacity: expected 1 or more, found 0"),
            // A target with a path: the path was dropped without a word, and every request went elsewhere.
            (
                ["run", "--scenario", "unread.yaml", "--target", "http://127.0.0.1:8080/shop"],
                "--target: expected an origin such as http://127.0.0.1:8080 (scheme, host and port; each step gives "
                    + "its path), found \"http://127.0.0.1:8080/shop\""
            ),
            // A swarm no machine holds: `--workers 99999999999` ran for minutes without a word.
            (["swarm", "--workers", "99999999999"], "--workers: expected 1 to 100000, found 99999999999"),
            (["swarm", "--flows", "11", "--steps", "1000"], "--flows × --steps: expected 1 to 10000, found 11000"),
            (
                ["run", "--scenario", "unread.yaml", "--seed", "-1"],
                "'--seed <seed>': expected a whole number from 0 to 18446744073709551615"
            ),
        ]
        for (arguments, output) in try await cluster.refusals(refused, log: "refused") {
            #expect(output.contains("Usage: stampede \(arguments[0])"), "\(arguments): \(output)")
        }
        #expect(!FileManager.default.fileExists(atPath: escaped.path))

        let scenario = try cluster.write(
            "scenario.yaml", "name: threads\nflows:\n  - name: get\n    steps:\n      - {name: ping, get: /}\n")
        let profile = try cluster.write("profile.yaml", "name: short\nstages:\n  - {duration: 1s, from: 2, to: 2}\n")
        let run = try cluster.spawn(
            "stampede",
            [
                "run", "--profile", profile, "--scenario", scenario, "--target", "http://127.0.0.1:9", "--runs",
                cluster.runs.path, "--id", "threads", "--threads", "3", "--quiet",
            ], log: "threads.log")
        #expect(await cluster.wait(run, limit: .seconds(60)))
        #expect(run.terminationStatus == 4, "\(cluster.log("threads.log"))")
        let worker =
            (try? String(
                contentsOf: cluster.runs.appendingPathComponent("threads/workers/w1.log"), encoding: .utf8)) ?? ""
        #expect(worker.contains("threads=3"), "\(worker)")

        // Thresholds the scenario cannot judge are refused once the scenario is read, before anything is sent:
        // - an SLO naming a flow it does not have (it used to fail every step, and the search blamed the target);
        // - a payment figure without a drill (it used to end the run UNVERIFIED, exit 3).
        let common = ["--scenario", scenario, "--target", "http://127.0.0.1:9", "--runs", cluster.runs.path]
        let judged: [(arguments: [String], says: String)] = [
            (
                ["search", "--max-rate", "100/s", "--slo", "p99(buyr) < 300ms"] + common,
                #"--slo "p99(buyr) < 300ms": the scenario has no flow "buyr" (flows: get)"#
            ),
            (
                ["run", "--profile", profile, "--threshold", "double_charges == 0"] + common,
                #"--threshold "double_charges == 0": this figure comes from a payment"#
            ),
            // A plan that brings no shopper: it set the target up, then ended at once, exit 4, "measured nothing".
            (
                ["run", "--profile", profile, "--peak-rate", "1/m"] + common,
                "the plan brings no shopper: 0.017 expected over its 1 s at a peak of 0.017 arrivals/s, and with "
                    + "--seed 1 none comes due"
            ),
            (
                ["coordinator", "--profile", profile, "--peak-rate", "1/m", "--seed", "7"] + common,
                "and with --seed 7 none comes due, so the run would measure nothing: raise --peak-rate"
            ),
        ]
        for (_, output) in try await cluster.refusals(judged, log: "judged", limit: .seconds(30)) {
            #expect(!output.contains("search: step 1") && !output.contains("coordinator listening"), "\(output)")
        }
    }

    /// Two requests a shopper with a 2 s think between them, for 2 s at a steady rate: shoppers held at once.
    static func thinkingShoppers(in cluster: Cluster) throws -> (scenario: String, profile: String) {
        let scenario = try cluster.write(
            "scenario.yaml",
            """
            name: held
            flows:
              - name: browser
                steps:
                  - {name: browse, get: /products, expect: 200, think: 2s}
                  - {name: again, get: /products, expect: 200}
            """)
        let profile = try cluster.write("profile.yaml", "name: held\nstages:\n  - {duration: 2s, from: 1, to: 1}\n")
        return (scenario, profile)
    }

    /// A shell's soft limit on open files does not fail shoppers: `stampede run` raises it to the hard limit, and
    /// the workers it starts inherit it. Under a hard limit too low for the run, it says so before it starts.
    @Test func theOpenFileLimitIsRaisedAndAHardLimitTooLowIsNamed() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { _, url in
            let cluster = try Cluster()
            defer { cluster.cleanUp() }
            let (scenario, profile) = try Self.thinkingShoppers(in: cluster)
            let stampede = Self.binaries.appendingPathComponent("stampede").path
            // 600 shoppers, each holding its own connection through a 2 s think: about 600 open at once.
            func run(_ id: String, limit: String) async throws -> (status: Int32, output: String) {
                let process = try cluster.spawn(
                    "/bin/sh",
                    [
                        "-c", "\(limit) && exec \"$0\" \"$@\"", stampede, "run", "--profile", profile, "--scenario",
                        scenario, "--target", url, "--peak-rate", "300/s", "--arrivals", "uniform",
                        "--connection-per-shopper", "--max-shoppers", "1000", "--runs", cluster.runs.path, "--id", id,
                        "--quiet",
                    ], log: "\(id).log")
                #expect(await cluster.wait(process, limit: .seconds(60)))
                return (process.terminationStatus, cluster.log("\(id).log"))
            }
            let soft = try await run("soft", limit: "ulimit -Sn 128")
            #expect(soft.status == 0, "\(soft.output)")
            #expect(!soft.output.contains("warning"), "\(soft.output)")
            let shoppers = try cluster.report("soft").totals.shoppers
            #expect(shoppers.started == 600)
            #expect(shoppers.failed == 0, "\(shoppers.failures)")

            // Under a hard limit too low, the failures are the generator's, and the report says so.
            let hard = try await run("hard", limit: "ulimit -n 256")
            #expect(
                hard.output.contains(
                    "stampede run: warning: this worker may hold 1000 connections at once, but may open only 256 files"),
                "\(hard.output)")
            let errors = try cluster.report("hard").totals.requests.errors
            #expect(errors[.files, default: 0] > 0, "\(errors)")
            #expect(errors[.connect] == nil, "\(errors)")
            #expect(hard.output.contains("the generator ran out of open files"), "\(hard.output)")
        }
    }

    /// A cap (`--max-shoppers`) below what the peak puts on a worker is named before the run, with the cap that
    /// holds it; the arrivals it then dropped are named after it: the target saw less load than the plan. Both
    /// used to go unsaid: a run that sent half its plan ended "Errors none", exit 0. A search's step warns the same.
    @Test func aCapBelowThePeakIsNamedBeforeTheRunAndItsDropsAfter() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .atomic)) { _, url in
            let cluster = try Cluster()
            defer { cluster.cleanUp() }
            let (scenario, profile) = try Self.thinkingShoppers(in: cluster)
            // 200 arrivals a second, each thinking 2 s: 400 at once, against a cap of 100.
            let process = try cluster.spawn(
                "stampede",
                [
                    "run", "--profile", profile, "--scenario", scenario, "--target", url, "--peak-rate", "200/s",
                    "--arrivals", "uniform", "--max-shoppers", "100", "--runs", cluster.runs.path, "--id", "capped",
                ], log: "capped.log")
            #expect(await cluster.wait(process, limit: .seconds(60)))
            let output = cluster.log("capped.log")
            #expect(process.terminationStatus == 0, "\(output)")
            #expect(
                output.contains(
                    "stampede run: warning: at the peak second a worker holds about 400 shoppers at once"),
                "\(output)")
            #expect(output.contains("Run with --max-shoppers 1000 "), "\(output)")
            // The warning comes before anything is sent.
            let warned = try #require(output.range(of: "stampede run: warning"))
            let listening = try #require(output.range(of: "coordinator listening"))
            #expect(warned.lowerBound < listening.lowerBound)
            let shoppers = try cluster.report("capped").totals.shoppers
            #expect(shoppers.dropped > 0, "\(shoppers)")
            #expect(
                output.contains(
                    "NOTE      \(shoppers.dropped.formatted()) of \(shoppers.planned.formatted()) planned arrivals"),
                "\(output)")
            #expect(output.contains("at most 100 shoppers at once (--max-shoppers)"), "\(output)")

            // A search's step says it too, before it plays; the step then ends the search as the generator's.
            let search = try cluster.spawn(
                "stampede",
                [
                    "search", "--scenario", scenario, "--target", url, "--arrivals", "uniform", "--from", "200/s",
                    "--max-rate", "400/s", "--hold", "2s", "--settle", "0s", "--max-shoppers", "100", "--runs",
                    cluster.runs.path, "--id", "capped-search",
                ], log: "search.log")
            #expect(await cluster.wait(search, limit: .seconds(60)))
            let searched = cluster.log("search.log")
            #expect(search.terminationStatus == 0, "\(searched)")
            #expect(
                searched.contains("search: warning: at the peak second a worker holds about 400 shoppers at once"),
                "\(searched)")
            #expect(searched.contains("search: 200/s generator-bound"), "\(searched)")
        }
    }
}
