import Foundation
import StampedeCore
import StampedeProcess
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// `stampede compare` on real runs of the built executable against the reference shop.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct CompareTests {
    static let scenario = """
        name: funnel
        flows:
          - name: shop
            steps:
              - {name: browse, get: /products, expect: 200}
              - {name: product, get: /products/SKU-0001, expect: 200}
              - {name: cart, post: /cart/items, json: {sku: SKU-0001, qty: 1}, expect: 200}
        """
    static let profile = "name: steady\nstages:\n  - {duration: 12s, from: 1, to: 1}\n"

    static func play(_ url: String, profile: String = profile) async throws -> URL {
        let (status, output, runs) = try await ExitCodeTests.run(
            profile: profile, scenario: scenario, target: url, rate: "60/s")
        #expect(status == 0, "\(output)")
        return runs.appendingPathComponent("run")
    }

    /// `stampede compare BASE NEW --json`: its exit status, the comparison it wrote, and what it printed.
    static func compare(
        _ base: URL, _ new: URL
    ) async throws -> (status: Int32, comparison: RunComparison, output: String) {
        let cluster = try ProcessTests.Cluster()
        defer { cluster.cleanUp() }
        let json = cluster.directory.appendingPathComponent("compare.json")
        let process = try cluster.spawn(
            "stampede", ["compare", base.path, new.path, "--json", json.path], log: "compare.log")
        #expect(await cluster.wait(process, limit: .seconds(30)))
        let comparison = try JSONDecoder().decode(RunComparison.self, from: Data(contentsOf: json))
        return (process.terminationStatus, comparison, cluster.log("compare.log"))
    }

    @Test func aRerunPassesAndASlowerStepFailsOnThatStepOnly() async throws {
        try await withReferenceShop { shop, url in
            let base = try await Self.play(url)
            let rerun = try await Self.play(url)
            shop.faults.setDelay(.milliseconds(20), for: .product)
            let slower = try await Self.play(url)
            defer {
                for run in [base, rerun, slower] {
                    try? FileManager.default.removeItem(at: run.deletingLastPathComponent())
                }
            }
            let same = try await Self.compare(base, rerun)
            #expect(same.status == 0, "\(same.comparison.regressions)")
            #expect(same.comparison.regressions.isEmpty)
            #expect(same.comparison.differences.isEmpty, "\(same.comparison.differences)")
            let slow = try await Self.compare(base, slower)
            #expect(slow.status == 1)
            #expect(
                Set(slow.comparison.regressions.map(\.subject)) == ["shop/product"], "\(slow.comparison.regressions)")
            #expect(slow.comparison.regressions.contains { $0.figure == "p50 ms" })
        }
    }

    /// Two 4 s runs: no step has requests in the 10 seconds the noise needs, and there is no verdict. The comparison
    /// judged nothing about the target, and exits 3 rather than pass, saying why.
    @Test func runsTooShortToJudgeExit3() async throws {
        try await withReferenceShop { _, url in
            let short = "name: short\nstages:\n  - {duration: 4s, from: 1, to: 1}\n"
            let base = try await Self.play(url, profile: short)
            let new = try await Self.play(url, profile: short)
            defer {
                for run in [base, new] { try? FileManager.default.removeItem(at: run.deletingLastPathComponent()) }
            }
            let compared = try await Self.compare(base, new)
            #expect(compared.status == 3, "\(compared.output)")
            #expect(compared.comparison.judgedNothing)
            #expect(compared.output.contains("## Stampede compare: nothing judged ·"), "\(compared.output)")
            #expect(
                compared.output.contains(
                    "stampede compare: nothing could be judged: shop/browse: requests in "),
                "\(compared.output)")
        }
    }
}
