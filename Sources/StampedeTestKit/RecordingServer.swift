public import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Synchronization

/// A loopback HTTP server whose routes a test writes (Hummingbird's router), and which keeps every request it
/// received — method, path and query, headers, body — to check what shoppers actually sent.
public final class RecordingServer: Sendable {
    public struct Received: Sendable {
        public var method: String
        /// Path and query.
        public var target: String
        /// Names in lower case.
        public var headers: [(name: String, value: String)]
        public var body: String
        /// When the server had read it.
        public var at: ContinuousClock.Instant

        public func header(_ name: String) -> String? {
            headers.first { $0.name == name.lowercased() }?.value
        }
    }

    private let log = Mutex<[Received]>([])

    public var received: [Received] { log.withLock { $0 } }

    /// The requests received for a path (the query left out).
    public func received(path: String) -> [Received] {
        received.filter { $0.target.prefix { $0 != "?" } == path }
    }

    /// Runs a server with the routes `routes` adds on 127.0.0.1 (a free port) for the length of `body`.
    public static func with<Result: Sendable>(
        _ routes: @Sendable (Router<BasicRequestContext>) -> Void,
        _ body: @Sendable (_ server: RecordingServer, _ baseURL: String) async throws -> Result
    ) async throws -> Result {
        let server = RecordingServer()
        let router = Router()
        router.add(middleware: Recording(server: server))
        routes(router)
        var logger = Logger(label: "stampede.testkit.recording")
        logger.logLevel = .warning
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            }, logger: logger)
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await services.run() }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next() else { throw FixtureError("the recording server did not start") }
            let outcome: Swift.Result<Result, any Error>
            do {
                outcome = .success(try await body(server, "http://127.0.0.1:\(port)"))
            } catch {
                outcome = .failure(error)
            }
            await services.triggerGracefulShutdown()
            // A client's idle keep-alive connection must not hold the test up: at most 5 s of grace.
            group.addTask { try? await Task.sleep(for: .seconds(5)) }
            _ = try? await group.next()
            group.cancelAll()
            return try outcome.get()
        }
    }

    private struct Recording: RouterMiddleware {
        typealias Context = BasicRequestContext
        let server: RecordingServer

        func handle(
            _ request: Request, context: Context, next: (Request, Context) async throws -> Response
        ) async throws -> Response {
            var request = request
            let body = try await request.collectBody(upTo: 1 << 20)
            server.log.withLock { log in
                log.append(
                    Received(
                        method: request.method.rawValue, target: request.uri.description,
                        headers: request.headers.map { ($0.name.canonicalName, $0.value) },
                        body: String(buffer: body), at: .now))
            }
            return try await next(request, context)
        }
    }
}
