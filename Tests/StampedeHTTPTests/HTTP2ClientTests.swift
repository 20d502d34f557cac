import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import StampedeCore
import StampedeTestKit
import Testing

@testable import StampedeHTTP

/// The HTTP/2 client (nghttp2 in a NIO handler) against an in-process swift-nio-http2 server that misbehaves on
/// demand, over h2c and TLS.
@Suite(.timeLimit(.minutes(1)))
struct HTTP2ClientTests {
    static func withServer(
        _ options: ScriptedHTTP2Server.Options = .init(),
        client configuration: HTTPClientConfiguration = HTTPClientConfiguration(
            maxConnectionsPerOrigin: 1, connectTimeout: .seconds(2), protocolChoice: .h2c),
        _ body: (HTTPClient, ScriptedHTTP2Server, Origin) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTP2Server.start(group: group, options: options)
        _ = try await withHTTPClient(configuration) { client in
            try await body(client, server, Origin(url: server.baseURL)!)
        }
        // Nothing leaks: once the client is gone, the server sees no connection left open.
        try await Self.eventually { server.openConnections == 0 }
        #expect(server.openConnections == 0)
        await server.close()
        try await group.shutdownGracefully()
    }

    static func eventually(_ condition: () -> Bool) async throws {
        for _ in 0..<100 where !condition() { try await Task.sleep(for: .milliseconds(10)) }
    }

    static func get(_ client: HTTPClient, _ origin: Origin, _ path: String) async throws -> HTTPResponse {
        try await client.execute(HTTPRequest(target: path), to: origin, timeout: .seconds(5))
    }

    @Test func manyStreamsShareOneConnectionUpToTheServersLimit() async throws {
        try await Self.withServer(.init(maxConcurrentStreams: 16)) { client, server, origin in
            try await withThrowingTaskGroup(of: String.self) { group in
                for _ in 0..<200 { group.addTask { String(buffer: try await Self.get(client, origin, "/slow").body) } }
                for try await body in group { #expect(body == "slow") }
            }
            #expect(server.connections == 1)
            #expect(server.requests == 200)
            // Streams really ran side by side, and never beyond the server's SETTINGS_MAX_CONCURRENT_STREAMS.
            #expect(server.maxOpenStreams > 1)
            #expect(server.maxOpenStreams <= 16)
        }
    }

    @Test func requestBodiesArriveWholeAcrossFlowControlWindows() async throws {
        try await Self.withServer { client, _, origin in
            // 200 KB: more than the 64 KB connection window the server starts with.
            let payload = String(repeating: "0123456789abcdef", count: 12_800)
            let request = HTTPRequest(method: .POST, target: "/echo", body: ByteBuffer(string: payload))
            let response = try await client.execute(request, to: origin, timeout: .seconds(5))
            #expect(response.status == 200)
            #expect(String(buffer: response.body) == payload)
            #expect(response.headers.first(name: "content-length") == String(payload.utf8.count))
        }
    }

    @Test func goAwayMidRunLosesNoRequest() async throws {
        // Every connection says GOAWAY after 10 requests; streams above its last id are refused and sent again.
        try await Self.withServer(
            .init(goAwayAfter: 10),
            client: HTTPClientConfiguration(
                maxConnectionsPerOrigin: 2, connectTimeout: .seconds(2), protocolChoice: .h2c)
        ) { client, server, origin in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<40 {
                    group.addTask { try await Self.get(client, origin, "/item/\(index)").status }
                }
                var answered = 0
                for try await status in group {
                    #expect(status == 200)
                    answered += 1
                }
                #expect(answered == 40)
            }
            #expect(server.requests == 40)
            #expect(server.goAwaysSent >= 3)
            #expect(server.connections >= 4)
        }
    }

    @Test func rstStreamIsALabelledResetAndTheConnectionCarriesOn() async throws {
        try await Self.withServer { client, server, origin in
            await #expect {
                _ = try await Self.get(client, origin, "/rst")
            } throws: { error in
                let error = error as? HTTPClientError
                return error?.code == .reset && error?.message.contains("INTERNAL_ERROR") == true
            }
            let after = try await Self.get(client, origin, "/after")
            #expect(after.status == 200)
            #expect(server.connections == 1)
        }
    }

    @Test func aServerThatSpeaksGarbageIsAProtocolError() async throws {
        let error = try await Self.failure(reply: Array("SSH-2.0-OpenSSH_9.2\r\n".utf8))
        #expect(error?.code == .protocol)
    }

    /// An HTTP/1 server asked for h2c answers in HTTP/1: said so, with what to use instead. It was a protocol
    /// error in nghttp2's words ("Remote peer returned unexpected data while we expected SETTINGS frame").
    @Test func anHTTP1ServerAskedForH2cIsAProtocolMismatch() async throws {
        let error = try await Self.failure(reply: Array("HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n".utf8))
        #expect(error?.code == .protocolMismatch)
        #expect(
            error?.message
                == "the server answered \"HTTP/1.1 400 Bad Request\", not HTTP/2: it does not speak h2c; use "
                + "--protocol http1 or auto")
        // Python's http.server answers "PRI * HTTP/2.0" with a page and no status line.
        let page = try await Self.failure(reply: Array("<!DOCTYPE HTML>\n<html lang=\"en\">".utf8))
        #expect(page?.code == .protocolMismatch)
        #expect(page?.message.hasPrefix("the server answered \"<!DOCTYPE HTML>\", not HTTP/2") == true)
    }

    @Test func aTruncatedFrameIsAReset() async throws {
        // An empty SETTINGS frame, then a PING frame header that promises 8 bytes and delivers 3.
        let settings: [UInt8] = [0, 0, 0, 0x4, 0, 0, 0, 0, 0]
        let truncated: [UInt8] = [0, 0, 8, 0x6, 0, 0, 0, 0, 0, 1, 2, 3]
        let error = try await Self.failure(reply: settings + truncated)
        #expect(error?.code == .reset)
    }

    static func failure(reply: [UInt8]) async throws -> HTTPClientError? {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RawReplyServer.start(group: group, reply: reply)
        var caught: HTTPClientError?
        _ = try await withHTTPClient(HTTPClientConfiguration(maxConnectionsPerOrigin: 1, protocolChoice: .h2c)) {
            client in
            do {
                _ = try await Self.get(client, Origin(url: server.baseURL)!, "/")
            } catch {
                caught = error as? HTTPClientError
            }
        }
        await server.close()
        try await group.shutdownGracefully()
        return caught
    }

    // MARK: TLS

    static func withTLSServer(
        alpn: [String] = ["h2"], _ body: (TestCertificates, ScriptedHTTP2Server, Origin) async throws -> Void
    ) async throws {
        let certificates = try await TestCertificates.make()
        defer { certificates.remove() }
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTP2Server.start(
            group: group,
            options: .init(tls: (certificates.serverCertificate, certificates.serverKey), alpn: alpn))
        try await body(certificates, server, Origin(url: server.baseURL)!)
        try await Self.eventually { server.openConnections == 0 }
        #expect(server.openConnections == 0)
        await server.close()
        try await group.shutdownGracefully()
    }

    static func tlsClient(_ tls: TLSOptions, _ choice: HTTPProtocolChoice = .h2) -> HTTPClientConfiguration {
        HTTPClientConfiguration(
            maxConnectionsPerOrigin: 2, connectTimeout: .seconds(2), protocolChoice: choice, tls: tls)
    }

    @Test func h2OverTLSWithTheTrustedCA() async throws {
        try await Self.withTLSServer { certificates, server, origin in
            _ = try await withHTTPClient(Self.tlsClient(TLSOptions(caFile: certificates.ca))) { client in
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<50 { group.addTask { try await Self.get(client, origin, "/slow").status } }
                    for try await status in group { #expect(status == 200) }
                }
                let echo = try await client.execute(
                    HTTPRequest(method: .POST, target: "/echo", body: ByteBuffer(string: "over tls")), to: origin,
                    timeout: .seconds(5))
                #expect(String(buffer: echo.body) == "over tls")
            }
            #expect(server.requests == 51)
            #expect(server.connections <= 2)
        }
    }

    @Test func aConnectionPerShopperResumesTheTLSSession() async throws {
        try await Self.withTLSServer { certificates, server, origin in
            _ = try await withHTTPClient(Self.tlsClient(TLSOptions(caFile: certificates.ca))) { client in
                for _ in 0..<4 {
                    let session = try client.session(to: origin)
                    let response = try await session.execute(HTTPRequest(target: "/"), timeout: .seconds(5))
                    #expect(response.status == 200)
                    // Read the next response's bytes too: TLS 1.3 tickets arrive after the handshake.
                    _ = try await session.execute(HTTPRequest(target: "/again"), timeout: .seconds(5))
                    await session.close()
                }
                let counts = try #require(client.tlsHandshakes(to: origin))
                #expect(counts.full + counts.resumed == 4)
                #expect(counts.full == 1, "full \(counts.full), resumed \(counts.resumed)")
            }
            #expect(server.connections == 4)
        }
    }

    @Test func anUntrustedCertificateIsRejectedUnlessInsecure() async throws {
        try await Self.withTLSServer { certificates, server, origin in
            _ = try await withHTTPClient(Self.tlsClient(TLSOptions())) { client in
                await #expect {
                    _ = try await Self.get(client, origin, "/")
                } throws: { error in
                    let error = error as? HTTPClientError
                    return error?.code == .certificate && error?.message.contains("not trusted") == true
                }
            }
            #expect(server.requests == 0)
            _ = try await withHTTPClient(Self.tlsClient(TLSOptions(insecure: true))) { client in
                let response = try await Self.get(client, origin, "/")
                #expect(response.status == 200)
            }
            #expect(server.requests == 1)
        }
    }

    /// A CA file that is not PEM is a certificate error that names the file. Making the context for it freed the
    /// OpenSSL context twice (its init freed it, then its deinit): `--ca garbage.pem` aborted the process.
    @Test func aCAFileThatIsNotPEMIsACertificateError() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("not-a-ca-\(UUID().uuidString).pem")
        try Data("garbage\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        for _ in 0..<3 {
            #expect {
                _ = try TLSContext(options: TLSOptions(caFile: file.path), alpn: ["h2"])
            } throws: { error in
                let error = error as? HTTPClientError
                return error?.code == .certificate
                    && error?.message.contains("cannot read the CA file \(file.path)") == true
            }
        }
    }

    @Test func theWrongServerNameIsRejected() async throws {
        try await Self.withTLSServer { certificates, _, origin in
            let options = TLSOptions(caFile: certificates.ca, serverName: "shop.example")
            _ = try await withHTTPClient(Self.tlsClient(options)) { client in
                await #expect {
                    _ = try await Self.get(client, origin, "/")
                } throws: { error in
                    (error as? HTTPClientError)?.code == .certificate
                }
            }
        }
    }

    @Test func aServerThatWillNotSpeakH2IsAProtocolMismatch() async throws {
        try await Self.withTLSServer(alpn: ["http/1.1"]) { certificates, _, origin in
            _ = try await withHTTPClient(Self.tlsClient(TLSOptions(caFile: certificates.ca), .h2)) { client in
                await #expect {
                    _ = try await Self.get(client, origin, "/")
                } throws: { error in
                    (error as? HTTPClientError)?.code == .protocolMismatch
                }
                return
            }
        }
    }

    @Test func aPlainServerIsATLSHandshakeError() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTP2Server.start(group: group)
        let origin = Origin(scheme: .https, host: "127.0.0.1", port: server.port)
        _ = try await withHTTPClient(Self.tlsClient(TLSOptions(insecure: true))) { client in
            await #expect {
                _ = try await Self.get(client, origin, "/")
            } throws: { error in
                (error as? HTTPClientError)?.code == .tls
            }
        }
        await server.close()
        try await group.shutdownGracefully()
    }

    @Test func theProtocolMustSuitTheScheme() {
        #expect(throws: HTTPClientError.self) { try HTTPProtocolChoice.h2c.check(.https) }
        #expect(throws: HTTPClientError.self) { try HTTPProtocolChoice.h2.check(.http) }
        #expect((try? HTTPProtocolChoice.auto.check(.http)) != nil)
    }

    @Test func headerBlocksDropConnectionHeadersAndLowercaseNames() {
        let block = HeaderBlock(
            method: "POST", scheme: "https", authority: "shop.example", path: "/orders",
            headers: ["Content-Type": "application/json", "Connection": "keep-alive", "Host": "x", "TE": "trailers"])
        #expect(
            block.pairs == [
                ":method=POST", ":scheme=https", ":authority=shop.example", ":path=/orders",
                "content-type=application/json", "te=trailers",
            ])
    }
}
