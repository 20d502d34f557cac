import NIOCore
import NIOHTTP1
import NIOPosix
import StampedeCore
import StampedeTestKit
import Testing

@testable import StampedeHTTP

@Suite(.timeLimit(.minutes(1)))
struct HTTPClientTests {
    static func withServer(
        _ script: @escaping @Sendable (String) -> ScriptedHTTPServer.Behaviour,
        connections: Int = 4,
        _ body: (HTTPClient, ScriptedHTTPServer, Origin) async throws -> Void
    ) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { script($0.uri) }
        try await withHTTPClient(
            HTTPClientConfiguration(maxConnectionsPerOrigin: connections, connectTimeout: .seconds(2))
        ) {
            client in
            try await body(client, server, Origin(url: server.baseURL)!)
        }
        await server.close()
        try await group.shutdownGracefully()
    }

    @Test func keepAliveReusesConnections() async throws {
        let script: @Sendable (String) -> ScriptedHTTPServer.Behaviour = { _ in .respond(status: 200, body: "hello") }
        try await Self.withServer(script) { client, server, origin in
            for _ in 0..<20 {
                let response = try await client.execute(HTTPRequest(target: "/"), to: origin, timeout: .seconds(5))
                #expect(response.status == 200)
                #expect(String(buffer: response.body) == "hello")
                #expect(response.completedAt >= response.sentAt)
            }
            #expect(server.connections == 1)
            #expect(server.requests == 20)
        }
    }

    /// A route is the client's own pool for its origin, found once: its requests and the client's share the
    /// connections (and the cap), and once the client is shut down a route's request is refused like the client's.
    @Test func aRouteSendsThroughTheClientsPoolAndStopsWithIt() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { head in .respond(status: 200, body: head.uri) }
        let origin = Origin(url: server.baseURL)!
        let client = HTTPClient(
            configuration: HTTPClientConfiguration(maxConnectionsPerOrigin: 1, connectTimeout: .seconds(2)),
            eventLoopGroup: group)
        let route = try client.route(to: origin)
        #expect(route.origin == origin)
        for index in 0..<6 {
            let target = "/\(index)"
            let response =
                index.isMultiple(of: 2)
                ? try await route.execute(HTTPRequest(target: target), timeout: .seconds(5))
                : try await client.execute(HTTPRequest(target: target), to: origin, timeout: .seconds(5))
            #expect(String(buffer: response.body) == target)
        }
        #expect(server.connections == 1)
        #expect(server.requests == 6)
        await client.shutDown()
        await #expect(throws: HTTPClientError.self) {
            try await route.execute(HTTPRequest(target: "/late"), timeout: .seconds(1))
        }
        #expect(server.requests == 6)
        await server.close()
        try await group.shutdownGracefully()
    }

    /// A connection encodes each request into the buffer its previous request used: requests of every size, one
    /// after another on one connection (a long one, a short one, one with a body, one too large to keep), each
    /// arrive whole and alone, with nothing left over from the one before.
    @Test func eachRequestOnAConnectionArrivesWholeWhateverCameBefore() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { head in
            .respond(status: 200, body: "\(head.method.rawValue) \(head.uri) \(head.headers["x-n"].joined())")
        }
        try await withHTTPClient(HTTPClientConfiguration(maxConnectionsPerOrigin: 1, connectTimeout: .seconds(2))) {
            client in
            let origin = Origin(url: server.baseURL)!
            let long = "/" + String(repeating: "l", count: 700)
            let huge = "/" + String(repeating: "h", count: 3000)
            let requests: [HTTPRequest] = [
                HTTPRequest(target: long, headers: ["x-n": "1"]),
                HTTPRequest(target: "/s", headers: ["x-n": "2"]),
                HTTPRequest(
                    method: .POST, target: "/p", headers: ["x-n": "3"],
                    body: ByteBuffer(string: String(repeating: "b", count: 300))),
                HTTPRequest(target: "/t", headers: ["x-n": "4"]),
                HTTPRequest(target: huge, headers: ["x-n": "5"]),
                HTTPRequest(target: "/u", headers: ["x-n": "6"]),
                HTTPRequest(target: long, headers: ["x-n": "7"]),
            ]
            for request in requests {
                let response = try await client.execute(request, to: origin, timeout: .seconds(5))
                let sent = "\(request.method.rawValue) \(request.target) \(request.headers["x-n"].joined())"
                #expect(String(buffer: response.body) == sent)
            }
        }
        #expect(server.connections == 1)
        #expect(server.requests == 7)
        await server.close()
        try await group.shutdownGracefully()
    }

    /// `waitingForConnection` counts the requests waiting for a connection in every pool of the client: with one
    /// connection an origin and slow answers (2 s), three requests to one origin and two to another leave three
    /// waiting; a waiter that gives up at its deadline leaves the count, and when every answer is in it is 0 again.
    /// (Each count holds for 0.6 s or more, seen by polling every 5 ms, so a loaded machine still sees it.)
    @Test func theRequestsWaitingForAConnectionAreCountedAcrossOrigins() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let slow: @Sendable (HTTPRequestHead) -> ScriptedHTTPServer.Behaviour = { _ in
            .respond(status: 200, body: "ok", delay: .seconds(2))
        }
        let first = try await ScriptedHTTPServer.start(group: group, script: slow)
        let second = try await ScriptedHTTPServer.start(group: group, script: slow)
        try await withHTTPClient(HTTPClientConfiguration(maxConnectionsPerOrigin: 1, connectTimeout: .seconds(2))) {
            client in
            let origins = [Origin(url: first.baseURL)!, Origin(url: second.baseURL)!]
            func waiting(_ expected: Int) async throws {
                let deadline = ContinuousClock.now + .seconds(5)
                while client.waitingForConnection != expected && ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(5))
                }
                #expect(client.waitingForConnection == expected)
            }
            #expect(client.waitingForConnection == 0)
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                for origin in [origins[0], origins[0], origins[0], origins[1], origins[1]] {
                    tasks.addTask {
                        _ = try await client.execute(HTTPRequest(target: "/"), to: origin, timeout: .seconds(10))
                    }
                    try await Task.sleep(for: .milliseconds(20))
                }
                try await waiting(3)
                // One more behind them, which gives up long before a connection comes free.
                tasks.addTask {
                    await #expect(throws: HTTPClientError.self) {
                        _ = try await client.execute(
                            HTTPRequest(target: "/"), to: origins[1], timeout: .milliseconds(600))
                    }
                }
                try await waiting(4)
                try await waiting(3)
                try await tasks.waitForAll()
            }
            #expect(client.waitingForConnection == 0)
        }
        #expect(first.requests == 3 && second.requests == 2)
        await first.close()
        await second.close()
        try await group.shutdownGracefully()
    }

    @Test func theConnectionCapHoldsUnderConcurrency() async throws {
        let script: @Sendable (String) -> ScriptedHTTPServer.Behaviour = { _ in
            .respond(status: 200, body: "ok", delay: .milliseconds(20))
        }
        try await Self.withServer(script, connections: 3) {
            client, server, origin in
            try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<30 {
                    group.addTask {
                        try await client.execute(HTTPRequest(target: "/"), to: origin, timeout: .seconds(5)).status
                    }
                }
                for try await status in group { #expect(status == 200) }
            }
            #expect(server.maxOpenConnections <= 3)
            #expect(server.requests == 30)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        let script: @Sendable (String) -> ScriptedHTTPServer.Behaviour = { _ in
            .respond(status: 200, body: "x", keepAlive: false)
        }
        try await Self.withServer(script) {
            client, server, origin in
            for _ in 0..<3 { _ = try await client.execute(HTTPRequest(target: "/"), to: origin, timeout: .seconds(5)) }
            #expect(server.connections == 3)
        }
    }

    static func failure(
        _ behaviour: ScriptedHTTPServer.Behaviour, timeout: Duration = .seconds(5)
    ) async throws -> HTTPClientError? {
        var caught: HTTPClientError?
        let script: @Sendable (String) -> ScriptedHTTPServer.Behaviour = { path in
            path == "/bad" ? behaviour : .respond(status: 200, body: "fine")
        }
        try await withServer(script) {
            client, _, origin in
            do {
                _ = try await client.execute(HTTPRequest(target: "/bad"), to: origin, timeout: timeout)
            } catch {
                caught = error as? HTTPClientError
            }
            // The pool recovers: the next request works.
            let next = try await client.execute(HTTPRequest(target: "/ok"), to: origin, timeout: .seconds(5))
            #expect(next.status == 200)
        }
        return caught
    }

    @Test func garbageIsAProtocolError() async throws {
        let error = try await Self.failure(.garbage(Array("NOT HTTP AT ALL\r\n\r\n".utf8)))
        #expect(error?.code == .protocol)
    }

    @Test func aConnectionClosedMidResponseIsAReset() async throws {
        let error = try await Self.failure(.closeMidResponse)
        #expect(error?.code == .reset)
    }

    /// A TCP reset (the server closes with `SO_LINGER` 0) is said in a person's words: it read NIO's
    /// `read(descriptor:pointer:size:): Connection reset by peer (errno: 104)`.
    @Test func aResetConnectionIsSaidInWords() async throws {
        let error = try await Self.failure(.reset)
        #expect(error?.code == .reset)
        #expect(error?.message == "the connection failed: connection reset by peer")
    }

    /// Requests waiting for the one connection give up at their deadline (one sweep timer serves every waiter),
    /// in the order they came, and the connection still serves once it is free.
    @Test func waitersForABusyConnectionTimeOutAtTheirDeadline() async throws {
        let script: @Sendable (String) -> ScriptedHTTPServer.Behaviour = { path in
            path == "/slow"
                ? .respond(status: 200, body: "slow", delay: .milliseconds(1_500)) : .respond(status: 200, body: "ok")
        }
        try await Self.withServer(script, connections: 1) { client, _, origin in
            let began = ContinuousClock.now
            async let slow = client.execute(HTTPRequest(target: "/slow"), to: origin, timeout: .seconds(5))
            try await Task.sleep(for: .milliseconds(100))
            let waited = await withTaskGroup(of: (Duration, HTTPClientError.Code?).self) { group in
                for _ in 0..<3 {
                    group.addTask {
                        do {
                            _ = try await client.execute(
                                HTTPRequest(target: "/ok"), to: origin, timeout: .milliseconds(300))
                            return (ContinuousClock.now - began, nil)
                        } catch {
                            return (ContinuousClock.now - began, (error as? HTTPClientError)?.code)
                        }
                    }
                }
                return await group.reduce(into: []) { $0.append($1) }
            }
            #expect(waited.allSatisfy { $0.1 == .timeout }, "\(waited)")
            #expect(waited.allSatisfy { $0.0 >= .milliseconds(390) && $0.0 < .milliseconds(1_200) }, "\(waited)")
            #expect(try await slow.status == 200)
            #expect(
                try await client.execute(HTTPRequest(target: "/ok"), to: origin, timeout: .seconds(5)).status == 200)
        }
    }

    @Test func waiterDeadlinesExpireEarliestFirstSkippingThoseServed() {
        var deadlines = WaiterDeadlines()
        let base = NIODeadline.uptimeNanoseconds(1_000_000_000)
        // Out of order: a long timeout first, shorter ones after it.
        for (waiter, ms) in [(0, 5_000), (1, 10), (2, 20), (3, 30), (4, 40)] {
            deadlines.append(waiter, base + .milliseconds(Int64(ms)))
        }
        // Waiter 2 was served; at +35 ms, 1 and 3 expire, 4 is next.
        let (expired, next) = deadlines.expire(at: base + .milliseconds(35)) { $0 != 2 }
        #expect(expired == [1, 3])
        #expect(next == base + .milliseconds(40))
        #expect(deadlines.count == 2)
        let (rest, none) = deadlines.expire(at: base + .seconds(10)) { _ in true }
        #expect(rest == [4, 0])
        #expect(none == nil)
    }

    /// A connection has one timer, armed for the request in flight and not cancelled by its response: a later
    /// request with an earlier deadline still times out at its own, and a later one with a later deadline is not
    /// timed out by the timer its predecessor armed.
    @Test func eachRequestOnAConnectionTimesOutAtItsOwnDeadline() async throws {
        let script: @Sendable (String) -> ScriptedHTTPServer.Behaviour = { path in
            switch path {
            case "/hang": .hang
            case "/slow": .respond(status: 200, body: "slow", delay: .milliseconds(600))
            default: .respond(status: 200, body: "ok")
            }
        }
        try await Self.withServer(script, connections: 1) { client, _, origin in
            _ = try await client.execute(HTTPRequest(target: "/ok"), to: origin, timeout: .seconds(20))
            let began = ContinuousClock.now
            await #expect(throws: HTTPClientError.self) {
                _ = try await client.execute(HTTPRequest(target: "/hang"), to: origin, timeout: .milliseconds(300))
            }
            #expect(ContinuousClock.now - began < .seconds(3))
            _ = try await client.execute(HTTPRequest(target: "/ok"), to: origin, timeout: .milliseconds(200))
            let slow = try await client.execute(HTTPRequest(target: "/slow"), to: origin, timeout: .seconds(5))
            #expect(slow.status == 200)
        }
    }

    /// A cancelled request ends at once as cancelled, whatever the server does.
    @Test func aCancelledRequestEndsAtOnce() async throws {
        let hang: @Sendable (String) -> ScriptedHTTPServer.Behaviour = { _ in .hang }
        try await Self.withServer(hang) { client, _, origin in
            let began = ContinuousClock.now
            let request = Task {
                try await client.execute(HTTPRequest(target: "/hang"), to: origin, timeout: .seconds(20))
            }
            try await Task.sleep(for: .milliseconds(200))
            request.cancel()
            let result = await request.result
            #expect(ContinuousClock.now - began < .seconds(5))
            guard case .failure(let error) = result else {
                Issue.record("the cancelled request succeeded")
                return
            }
            #expect((error as? HTTPClientError)?.code == .cancelled, "\(error)")
        }
    }

    /// The message gives the request's timeout, not what was left of it once a connection was open (it read "no
    /// complete response within 0.29958 s").
    @Test func noAnswerIsATimeout() async throws {
        let began = ContinuousClock.now
        let error = try await Self.failure(.hang, timeout: .milliseconds(300))
        #expect(error?.code == .timeout)
        #expect(error?.message == "no complete response within 0.3 s")
        #expect(ContinuousClock.now - began < .seconds(3))
    }

    @Test func aClosedPortIsAConnectError() async throws {
        // Bind and close a listener to find a port nobody listens on.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let server = try await ScriptedHTTPServer.start(group: group) { _ in .hang }
        let port = server.port
        await server.close()
        try await group.shutdownGracefully()
        _ = try await withHTTPClient { client in
            await #expect(throws: HTTPClientError.self) {
                do {
                    _ = try await client.execute(
                        HTTPRequest(target: "/"), to: Origin(scheme: .http, host: "127.0.0.1", port: port),
                        timeout: .seconds(3))
                } catch {
                    #expect((error as? HTTPClientError)?.code == .connect)
                    throw error
                }
            }
        }
    }

    /// A socket this process cannot open is its own limit, labelled apart from a target that refuses.
    @Test func runningOutOfFilesIsNotAConnectError() {
        let origin = Origin(scheme: .http, host: "127.0.0.1", port: 8080)
        let files = HTTPClientError.connect(to: origin, IOError(errnoCode: EMFILE, reason: "socket"))
        #expect(files.code == .files)
        #expect(files.code.label == ErrorLabel.files.rawValue)
        #expect(files.message.contains("too many open files (this machine's limit on open files, ulimit -n"))
        #expect(HTTPClientError.connect(to: origin, IOError(errnoCode: ENFILE, reason: "socket")).code == .files)
        let refused = HTTPClientError.connect(to: origin, IOError(errnoCode: ECONNREFUSED, reason: "connect"))
        #expect(refused.code == .connect)
        #expect(refused.message == "cannot connect to http://127.0.0.1:8080: connection refused")
    }

    @Test func originsParse() {
        #expect(Origin(url: "http://127.0.0.1:8080/x") == Origin(scheme: .http, host: "127.0.0.1", port: 8080))
        #expect(Origin(url: "https://shop.example")?.port == 443)
        #expect(Origin(url: "http://[::1]:9000")?.host == "::1")
        #expect(Origin(url: "http://[::1]:9000")?.hostHeader == "[::1]:9000")
        #expect(Origin(url: "ftp://x") == nil)
        #expect(Origin(url: "http://x:99999") == nil)
        #expect(Origin(url: "http://127.0.0.1")!.isLoopback)
        #expect(Origin(url: "http://[::1]:1")!.isLoopback)
        #expect(!Origin(url: "http://10.0.0.1")!.isLoopback)
        #expect(!Origin(url: "http://127.evil.com")!.isLoopback)
    }
}
