import NIOCore
import NIOHTTP1
import StampedeCore
import StampedeTestKit
import Testing

@testable import StampedeHTTP

/// The engine against real HTTP/2 servers from Debian, nghttpd (nghttp2's own) and nginx, over h2c and TLS.
/// scripts/test installs both; without them these tests are skipped, and the test report says so.
@Suite(.timeLimit(.minutes(1)))
struct PeerInteropTests {
    static func withPeer(
        _ start: (TestCertificates) throws -> PeerServer?,
        _ body: (PeerServer, TestCertificates) async throws -> Void
    ) async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let peer = try #require(try start(certificates))
        defer { peer.stop() }
        try await body(peer, certificates)
    }

    /// 300 GETs, 50 at a time, on at most two connections; every one answered with the page.
    static func manyGets(_ origin: Origin, _ configuration: HTTPClientConfiguration) async throws -> Int {
        try await withHTTPClient(configuration) { client in
            try await withThrowingTaskGroup(of: Bool.self) { group in
                var answered = 0
                for index in 0..<300 {
                    if index >= 50, try await group.next() == true { answered += 1 }
                    group.addTask {
                        let response = try await client.execute(
                            HTTPRequest(target: "/index.html"), to: origin, timeout: .seconds(5))
                        return response.status == 200 && String(buffer: response.body) == PeerServer.page
                    }
                }
                for try await ok in group where ok { answered += 1 }
                return answered
            }
        }
    }

    static func client(_ choice: HTTPProtocolChoice, ca: String? = nil) -> HTTPClientConfiguration {
        HTTPClientConfiguration(
            maxConnectionsPerOrigin: 2, connectTimeout: .seconds(2), protocolChoice: choice, tls: TLSOptions(caFile: ca)
        )
    }

    @Test(.enabled(if: PeerServer.isInstalled("nghttpd"), "nghttpd is not installed (apt-get install nghttp2-server)"))
    func nghttpdOverH2cAndTLS() async throws {
        try await Self.withPeer(PeerServer.nghttpd) { peer, certificates in
            let h2c = Origin(scheme: .http, host: "127.0.0.1", port: peer.h2cPort)
            let tls = Origin(scheme: .https, host: "127.0.0.1", port: peer.tlsPort)
            #expect(try await Self.manyGets(h2c, Self.client(.h2c)) == 300)
            #expect(try await Self.manyGets(tls, Self.client(.h2, ca: certificates.ca)) == 300)
            // nghttpd echoes uploads: a 100 KB body goes through flow control and comes back whole.
            let upload = String(repeating: "flash-sale ", count: 10_000)
            try await withHTTPClient(Self.client(.h2, ca: certificates.ca)) { client in
                let response = try await client.execute(
                    HTTPRequest(method: .POST, target: "/index.html", body: ByteBuffer(string: upload)), to: tls,
                    timeout: .seconds(5))
                #expect(String(buffer: response.body) == upload)
            }
            try await Self.expectUntrusted(tls)
        }
    }

    @Test(.enabled(if: PeerServer.isInstalled("nginx"), "nginx is not installed (apt-get install nginx)"))
    func nginxOverHTTP1H2cAndTLS() async throws {
        try await Self.withPeer(PeerServer.nginx) { peer, certificates in
            let http1 = Origin(scheme: .http, host: "127.0.0.1", port: try #require(peer.http1Port))
            let h2c = Origin(scheme: .http, host: "127.0.0.1", port: peer.h2cPort)
            let tls = Origin(scheme: .https, host: "127.0.0.1", port: peer.tlsPort)
            #expect(try await Self.manyGets(http1, Self.client(.http1)) == 300)
            #expect(try await Self.manyGets(h2c, Self.client(.h2c)) == 300)
            #expect(try await Self.manyGets(tls, Self.client(.h2, ca: certificates.ca)) == 300)
            // ALPN picks HTTP/1.1 when that is all the client offers, over the same TLS port.
            #expect(try await Self.manyGets(tls, Self.client(.http1, ca: certificates.ca)) == 300)
            try await withHTTPClient(Self.client(.auto, ca: certificates.ca)) { client in
                let response = try await client.execute(
                    HTTPRequest(method: .POST, target: "/post", body: ByteBuffer(string: "order=1")), to: tls,
                    timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(String(buffer: response.body) == "posted\n")
            }
            try await Self.expectUntrusted(tls)
        }
    }

    /// Without the test CA the same server is refused, with the reason.
    static func expectUntrusted(_ origin: Origin) async throws {
        try await withHTTPClient(Self.client(.h2)) { client in
            await #expect {
                _ = try await client.execute(HTTPRequest(target: "/index.html"), to: origin, timeout: .seconds(5))
            } throws: { error in
                (error as? HTTPClientError)?.code == .certificate
            }
            return
        }
    }
}
