import Foundation
import NIOCore
import NIOPosix
import StampedeProcess
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// Workers as a fleet's pods are: reaching the coordinator by a name or an IPv6 address, started before it, and
/// giving up clearly when it never comes.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct FleetTests {
    static let scenario = "name: one-get\nflows:\n  - name: get\n    steps:\n      - {name: products, get: /products}\n"

    /// A port nobody listens on (bound, then let go).
    static func freePort() throws -> Int {
        let channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).wait()
        let port = channel.localAddress!.port!
        try channel.close().wait()
        return port
    }

    static func coordinator(
        _ cluster: ProcessTests.Cluster, listen: String, target: String, portFile: String? = nil
    ) throws -> ChildProcess {
        try cluster.spawn(
            "stampede-coordinator",
            [
                "--profile", try cluster.write("profile.yaml", ProcessTests.steady(seconds: 2)), "--scenario",
                try cluster.write("scenario.yaml", scenario), "--target", target, "--peak-rate", "10/s", "--workers",
                "1", "--listen", listen, "--runs", cluster.runs.path, "--quiet",
            ] + (portFile.map { ["--port-file", $0] } ?? []), log: "coordinator.log")
    }

    static func port(_ cluster: ProcessTests.Cluster, file: String) async throws -> Int {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: file, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return port
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw FixtureError("the coordinator did not listen: \(cluster.log("coordinator.log"))")
    }

    /// `localhost` (a name, resolved) and `[::1]` (IPv6) both reach the coordinator; the run completes.
    @Test(arguments: [("localhost:0", "localhost"), ("[::1]:0", "[::1]")])
    func aWorkerReachesItsCoordinatorByNameOrIPv6(listen: String, dial: String) async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { shop, url in
            let portFile = cluster.directory.appendingPathComponent("port").path
            cluster.coordinator = try Self.coordinator(cluster, listen: listen, target: url, portFile: portFile)
            let port = try await Self.port(cluster, file: portFile)
            cluster.workers.append(
                try cluster.spawn(
                    "stampede-worker", ["--coordinator", "\(dial):\(port)", "--name", "w1"], log: "w1.log"))
            #expect(await cluster.wait(cluster.coordinator!, limit: .seconds(30)), "\(cluster.log("coordinator.log"))")
            #expect(cluster.coordinator!.terminationStatus == 0, "\(cluster.log("coordinator.log"))")
            #expect(await cluster.wait(cluster.workers[0], limit: .seconds(10)))
            #expect(cluster.workers[0].terminationStatus == 0, "\(cluster.log("w1.log"))")
            #expect(!shop.requests.entries.isEmpty)
        }
    }

    /// A worker started 10 s before its coordinator (as a Job's pods start in any order) waits for it and joins.
    @Test func aWorkerStartedBeforeItsCoordinatorJoins() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        try await withReferenceShop { shop, url in
            let port = try Self.freePort()
            cluster.workers.append(
                try cluster.spawn(
                    "stampede-worker",
                    ["--coordinator", "127.0.0.1:\(port)", "--name", "early", "--join-timeout", "40s"], log: "w1.log"))
            try await Task.sleep(for: .seconds(10))
            #expect(cluster.workers[0].isRunning, "\(cluster.log("w1.log"))")
            let began = ContinuousClock.now
            cluster.coordinator = try Self.coordinator(cluster, listen: "127.0.0.1:\(port)", target: url)
            #expect(await cluster.wait(cluster.coordinator!, limit: .seconds(30)), "\(cluster.log("coordinator.log"))")
            #expect(cluster.coordinator!.terminationStatus == 0, "\(cluster.log("coordinator.log"))")
            #expect(await cluster.wait(cluster.workers[0], limit: .seconds(10)))
            #expect(cluster.workers[0].terminationStatus == 0, "\(cluster.log("w1.log"))")
            #expect(shop.requests.entries.contains { $0.worker == "early" })
            print(
                "fleet: a worker started 10 s early joined; the run took \(ContinuousClock.now - began) after the coordinator started"
            )
        }
    }

    @Test func aWorkerWhoseCoordinatorNeverComesGivesUpAtItsJoinTimeout() async throws {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        let port = try Self.freePort()
        let worker = try cluster.spawn(
            "stampede-worker", ["--coordinator", "127.0.0.1:\(port)", "--join-timeout", "2s"], log: "w.log")
        #expect(await cluster.wait(worker, limit: .seconds(15)))
        #expect(worker.terminationStatus == 4)
        let log = cluster.log("w.log")
        #expect(log.contains("the coordinator at 127.0.0.1:\(port) did not answer within 2.0 seconds"), "\(log)")
        // What the last attempt met, as a person says it (it was NIO's "connection reset (error set): Connection
        // refused) (errno: 111)").
        #expect(log.contains("attempts; last: connection refused)"), "\(log)")
        let unresolvable = try cluster.spawn(
            "stampede-worker", ["--coordinator", "coordinator.invalid:7070", "--join-timeout", "1s"], log: "dns.log")
        #expect(await cluster.wait(unresolvable, limit: .seconds(15)))
        #expect(unresolvable.terminationStatus == 4)
        #expect(
            cluster.log("dns.log").contains("attempts; last: cannot resolve coordinator.invalid)"),
            "\(cluster.log("dns.log"))")
    }
}
