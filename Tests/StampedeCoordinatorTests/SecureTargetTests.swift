import Foundation
import StampedeConfig
import StampedeCore
import StampedeHTTP
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// The reference-shop scenario, end to end, against the shop serving TLS with HTTP/2: through the coordinator and
/// a worker, with the books read over TLS too.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SecureTargetTests {
    static let scenarioPath: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)
        return parts.joined(separator: "/") + "/scenarios/reference-shop.yaml"
    }()

    static func rehearse(
        target: String, transport: TargetTransport, seconds: Double = 3, unreachedAfter: Duration? = .seconds(10)
    ) async throws -> RunReport {
        let scenario = try ScenarioLoader.load(path: scenarioPath)
        let profile = Profile(name: "steady", shape: .stages([Stage(duration: seconds, from: 1, to: 1)]))
        let record = RunRecord(
            id: "tls-\(UUID().uuidString.prefix(6))", startedAt: "", profile: profile, scenario: scenario,
            scale: RunScale(peakRate: 20, compression: .speed(1)), target: Origin(url: target)!, seed: 3,
            arrivals: .uniform,
            workers: 1, maxShoppers: 1000, connections: 4, transport: transport)
        let settings = CoordinatorSettings(
            expectedWorkers: 1, startDelay: LocalCluster.startDelay, maxShoppersPerWorker: 1000,
            connectionsPerWorker: 4,
            requestTimeout: .seconds(5), unreachedAfter: unreachedAfter)
        return try await LocalCluster.run(record: record, .init(workers: 1, settings: settings))
            .coordinator.report
    }

    static func expectClean(_ report: RunReport) {
        let shoppers = report.totals.shoppers
        #expect(shoppers.started >= 50)
        #expect(shoppers.failed == 0)
        #expect(shoppers.succeeded == shoppers.started)
        #expect(report.totals.requests.failed == 0)
        // The books were read over TLS as well: every SKU's verdict is verified, nothing oversold.
        #expect(!report.inventory.isEmpty)
        #expect(report.inventory.allSatisfy { $0.verified && $0.oversold == 0 })
    }

    @Test func theReferenceShopScenarioRunsOverH2WithTLS() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        try await withReferenceShop(ShopConfiguration(tls: certificates.shopTLS)) { _, url in
            #expect(url.hasPrefix("https://"))
            // `h2` fails every request unless the shop's ALPN really chose HTTP/2.
            let pooled = try await Self.rehearse(
                target: url, transport: TargetTransport(protocolChoice: .h2, caFile: certificates.ca))
            Self.expectClean(pooled)
            let perShopper = try await Self.rehearse(
                target: url,
                transport: TargetTransport(protocolChoice: .h2, caFile: certificates.ca, connectionPerShopper: true))
            Self.expectClean(perShopper)
        }
    }

    /// A shop whose certificate or key will not load says which file and why, before it listens. swift-nio-ssl
    /// said `failedToLoadCertificate` for a missing file and a file with no certificate alike, and a key that is not
    /// the certificate's failed as the server started (`failedToLoadPrivateKey`, exit 70).
    @Test func aCertificateOrKeyThatWillNotLoadIsNamed() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let garbage = certificates.path("garbage.pem")
        try "garbage\n".write(toFile: garbage, atomically: true, encoding: .utf8)
        func problem(_ certificate: String, _ key: String) -> String {
            let tls = ShopConfiguration.TLSFiles(certificate: certificate, key: key)
            do {
                _ = try ReferenceShop(configuration: ShopConfiguration(tls: tls)).application()
                return ""
            } catch {
                return "\(error)"
            }
        }
        let server = certificates.serverCertificate
        let key = certificates.serverKey
        #expect(problem(server, key).isEmpty)
        #expect(
            problem("/nonexistent.pem", key)
                == "cannot read the certificate /nonexistent.pem: no such file, or not readable")
        #expect(problem(garbage, key).hasPrefix("the certificate \(garbage) holds no PEM certificate"))
        #expect(problem(server, garbage).hasPrefix("the private key \(garbage) holds no PEM private key"))
        #expect(
            problem(server, certificates.untrustedServerKey).hasPrefix(
                "the private key \(certificates.untrustedServerKey) is not the key of the certificate \(server)"))
    }

    /// Every request fails with a certificate error, and the 30 s run stops once none has opened a connection for 2 s
    /// (`--unreached-after`), saying why.
    @Test func anUntrustedShopFailsEveryRequestWithACertificateError() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        try await withReferenceShop(ShopConfiguration(tls: certificates.shopTLS)) { _, url in
            let report = try await Self.rehearse(
                target: url, transport: TargetTransport(protocolChoice: .h2), seconds: 30,
                unreachedAfter: .seconds(2))
            #expect(report.run.interrupted)
            #expect(report.run.actualSeconds < 10, "ran \(report.run.actualSeconds) s")
            let reason = try #require(report.run.stopReason)
            #expect(reason.hasPrefix("the target never answered: not one of "), "\(reason)")
            #expect(reason.contains("is not trusted"), "\(reason)")
            #expect(report.totals.shoppers.succeeded == 0)
            #expect(report.totals.shoppers.failed == report.totals.shoppers.started)
            #expect(Array(report.totals.requests.errors.keys) == [ErrorLabel(rawValue: "certificate")])
            // Nothing is claimed about the books that could not be read.
            #expect(report.inventory.allSatisfy { !$0.verified })
        }
    }
}
