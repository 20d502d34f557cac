import NIOCore
import NIOPosix
import StampedeCore
import StampedeTestKit
import Synchronization
import Testing

@testable import StampedeHTTP

@Suite(.timeLimit(.minutes(1)))
struct ClosedLoopBenchTests {
    /// `GET /` over HTTP/1.1, closed loop.
    static func bench(
        _ url: String, connections: Int, for duration: Duration, group: any EventLoopGroup
    ) async throws -> BenchResult {
        try await runClosedLoopBench(
            BenchSettings(
                origin: Origin(url: url)!, request: HTTPRequest(target: "/"), connections: connections, streams: 1,
                duration: duration, client: HTTPClientConfiguration(protocolChoice: .http1)),
            group: group)
    }

    /// A server that answers nothing and closes every connection: the bench reconnects with a growing pause
    /// (1 ms doubling up to 1 s) instead of tens of thousands of times a second.
    @Test func aServerThatClosesEveryConnectionIsNotHammered() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await RawReplyServer.start(group: group, reply: [])
        let result = try await Self.bench(server.baseURL, connections: 2, for: .seconds(2), group: group)
        await server.close()
        try await group.shutdownGracefully()
        #expect(result.responses == 0)
        // Two connections, each waiting 1 + 2 + 4 + … ms: about ten attempts each in 2 s.
        #expect(result.reconnects < 40, "\(result.reconnects) reconnects in 2 s")
        #expect(result.errors.values.reduce(0, +) > 0)
    }

    /// A server that speaks only HTTP/2, asked in HTTP/1.1: not one answer, and the first error says why (bench-http
    /// then exits 4 with it; it exited 0 with "errors: reset=10").
    @Test func anHTTP2OnlyServerAskedInHTTP1SaysSo() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let settings: [UInt8] = [0, 0, 0, 0x4, 0, 0, 0, 0, 0]
        let server = try await RawReplyServer.start(group: group, reply: settings)
        let result = try await Self.bench(server.baseURL, connections: 1, for: .milliseconds(500), group: group)
        await server.close()
        try await group.shutdownGracefully()
        #expect(result.responses == 0)
        #expect(result.errors.keys.sorted() == ["protocol"], "\(result.errors)")
        #expect(result.firstError?.contains("the server answered with an HTTP/2 frame, not HTTP/1.1") == true)
    }

    /// Every response is counted under its status, common or not (a status in 100...599 is counted in place, any
    /// other by name), and the counts add up to the responses, over every connection.
    @Test func everyResponseIsCountedUnderItsStatus() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let answered = Atomic<Int>(0)
        let statuses = [200, 503, 799]
        let server = try await ScriptedHTTPServer.start(group: group) { _ in
            .respond(status: statuses[answered.add(1, ordering: .relaxed).oldValue % statuses.count], body: "x")
        }
        let result = try await Self.bench(server.baseURL, connections: 3, for: .milliseconds(300), group: group)
        await server.close()
        try await group.shutdownGracefully()
        #expect(result.responses >= 30)
        #expect(Set(result.statuses.keys) == Set(statuses))
        #expect(result.statuses.values.reduce(0, +) == result.responses)
        #expect(result.statuses.values.allSatisfy { $0 >= result.responses / 3 - 3 })
        // Each body ("x") counted, though none is kept.
        #expect(result.bodyBytes == result.responses)
    }

    /// Over h2c, several streams a connection: every answer counted with its body's bytes ("ok /"), none kept.
    @Test func http2StreamsAreCountedWithTheirBodyBytes() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTP2Server.start(group: group)
        let result = try await runClosedLoopBench(
            BenchSettings(
                origin: Origin(url: server.baseURL)!, request: HTTPRequest(target: "/"), connections: 2, streams: 4,
                duration: .milliseconds(300), client: HTTPClientConfiguration(protocolChoice: .h2c)),
            group: group)
        await server.close()
        try await group.shutdownGracefully()
        #expect(result.negotiated == "h2")
        #expect(result.responses >= 30)
        #expect(result.errors.isEmpty)
        #expect(result.statuses == [200: result.responses])
        #expect(result.bodyBytes == 4 * result.responses)
    }

    /// Free streams go out again a batch at a time and the run ends on time whatever the batch: 16 streams
    /// refilled one at a time (the default), 2 or 3 at a time (16 is no multiple of 3, so the last streams freed
    /// make no whole batch), or all 16 at once; every answer counted, the batch reported.
    @Test(arguments: [nil, 2, 3, 16] as [Int?])
    func http2StreamsAreRefilledInBatches(refill: Int?) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTP2Server.start(group: group)
        let result = try await runClosedLoopBench(
            BenchSettings(
                origin: Origin(url: server.baseURL)!, request: HTTPRequest(target: "/"), connections: 1, streams: 16,
                duration: .milliseconds(300), client: HTTPClientConfiguration(protocolChoice: .h2c),
                refill: refill ?? 1),
            group: group)
        await server.close()
        try await group.shutdownGracefully()
        #expect(result.refill == StreamRefill(streams: 16, batch: refill ?? 1))
        #expect(result.elapsed < .seconds(2), "ran \(result.elapsed) for 300 ms")
        #expect(result.responses >= 100, "\(result.responses) responses in 300 ms")
        #expect(result.errors.isEmpty)
        #expect(result.statuses == [200: result.responses])
    }

    /// HTTP/1.1 carries one request a connection: nothing to batch, whatever was asked.
    @Test func http1IsRefilledOneAtATime() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { _ in .respond(status: 200, body: "x") }
        let result = try await runClosedLoopBench(
            BenchSettings(
                origin: Origin(url: server.baseURL)!, request: HTTPRequest(target: "/"), connections: 2, streams: 32,
                duration: .milliseconds(200), client: HTTPClientConfiguration(protocolChoice: .http1), refill: 8),
            group: group)
        await server.close()
        try await group.shutdownGracefully()
        #expect(result.refill == StreamRefill(streams: 1, batch: 1))
        #expect(result.responses >= 20)
    }

    /// A server that answers every request with `connection: close`: each response is counted, and the next
    /// request goes on a new connection, with no error (the driver does not ask the channel whether it is open
    /// before each request, so it must know from the response that the connection carries no more).
    @Test func connectionCloseIsAReconnectNotAnError() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { _ in
            .respond(status: 200, body: "x", keepAlive: false)
        }
        let result = try await Self.bench(server.baseURL, connections: 2, for: .milliseconds(300), group: group)
        await server.close()
        try await group.shutdownGracefully()
        #expect(result.responses >= 10)
        #expect(result.errors.isEmpty, "\(result.errors)")
        // Each connection carried one response, and the last ones ended the run.
        #expect(result.reconnects >= result.responses - 2 && result.reconnects <= result.responses)
        #expect(result.statuses == [200: result.responses])
    }

    @Test func theBackoffDoublesUpToASecond() {
        let waits = (0...14).map { ConnectionDriverBackoff.afterFailures($0) }
        #expect(waits[0] == .zero)
        #expect(waits[1] == .milliseconds(1))
        #expect(waits[2] == .milliseconds(2))
        #expect(waits[5] == .milliseconds(16))
        #expect(waits[11] == .milliseconds(1_000))
        #expect(waits[14] == .milliseconds(1_000))
    }
}
