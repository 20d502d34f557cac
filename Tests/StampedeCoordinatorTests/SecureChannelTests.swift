import Foundation
import NIOCore
import StampedeCore
import StampedeHTTP
import StampedeShop
import StampedeTestKit
import StampedeWorker
import Testing

@testable import StampedeCoordinator

/// TLS and mutual TLS on the coordinator's channel, and the metrics endpoint.
@Suite(.serialized, .timeLimit(.minutes(2)))
struct SecureChannelTests {
    /// The coordinator's side: the test server certificate, and client certificates required from the test CA.
    static func mutualTLS(_ certificates: TestCertificates) -> CoordinatorTLS {
        CoordinatorTLS(
            certificate: certificates.serverCertificate, key: certificates.serverKey, clientCA: certificates.ca)
    }

    @Test func workersConnectOverTLSAndMutualTLS() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        try await withReferenceShop { shop, url in
            let record = TestSupport.record(seconds: 1, rate: 30, target: url)
            let tls = LocalCluster.TLS(
                coordinator: Self.mutualTLS(certificates),
                workers: [
                    WorkerTLS(
                        ca: certificates.ca, certificate: certificates.clientCertificate, key: certificates.clientKey)
                ])
            let result = try await LocalCluster.run(record: record, .init(workers: 2, tls: tls))
            #expect(result.workers.allSatisfy { (try? $0.get()) != nil })
            #expect(result.coordinator.report.totals.shoppers.started > 0)
            #expect(Set(shop.requests.entries.compactMap(\.worker)) == ["w1", "w2"])
        }
    }

    @Test func aWorkerWithoutAClientCertificateOrTrustIsRefused() async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        try await withReferenceShop { shop, url in
            let record = TestSupport.record(seconds: 1, rate: 30, target: url)
            let tls = LocalCluster.TLS(
                coordinator: Self.mutualTLS(certificates),
                workers: [
                    WorkerTLS(
                        ca: certificates.ca, certificate: certificates.clientCertificate, key: certificates.clientKey),
                    // No client certificate: mutual TLS refuses it.
                    WorkerTLS(ca: certificates.ca),
                    // Trusts another CA: it refuses the coordinator.
                    WorkerTLS(
                        ca: certificates.untrustedCA, certificate: certificates.clientCertificate,
                        key: certificates.clientKey),
                ])
            let result = try await LocalCluster.run(
                record: record, .init(workers: 3, settings: CoordinatorSettings(expectedWorkers: 1), tls: tls))
            #expect((try? result.workers[0].get()) != nil)
            for refused in result.workers.dropFirst() {
                guard case .failure(let error) = refused else {
                    Issue.record("a worker without the right certificates took part")
                    continue
                }
                #expect(
                    "\(error)".contains("cannot reach the coordinator") || "\(error)".contains("refused"), "\(error)")
            }
            #expect(Set(shop.requests.entries.compactMap(\.worker)) == ["w1"])
        }
    }

    /// A certificate for the name `localhost` only: the worker that dials `localhost` verifies it; the one that dials
    /// the same coordinator by its address 127.0.0.1 refuses it, since TLS checks the name that was dialled.
    @Test func tlsVerifiesTheNameTheWorkerDialled() async throws {
        let certificates = try await TestCertificates.make(subjectAltName: "DNS:localhost")
        defer { certificates.remove() }
        try await withReferenceShop { shop, url in
            let record = TestSupport.record(seconds: 1, rate: 30, target: url)
            var options = LocalCluster.Options(
                workers: 2, settings: CoordinatorSettings(expectedWorkers: 1),
                tls: LocalCluster.TLS(
                    coordinator: CoordinatorTLS(
                        certificate: certificates.serverCertificate, key: certificates.serverKey),
                    workers: [WorkerTLS(ca: certificates.ca)]))
            options.dial = ["localhost", "127.0.0.1"]
            let result = try await LocalCluster.run(record: record, options)
            #expect((try? result.workers[0].get()) != nil, "\(result.workers[0])")
            guard case .failure(let error) = result.workers[1] else {
                Issue.record("a worker took part although the certificate does not name what it dialled")
                return
            }
            #expect("\(error)".contains("cannot reach the coordinator"), "\(error)")
            #expect(Set(shop.requests.entries.compactMap(\.worker)) == ["w1"])
        }
    }
}

actor Scrape {
    var text = ""
    func set(_ value: String) { text = value }
}
