import Hummingbird
import Logging
import ServiceLifecycle
public import StampedeShop

/// Runs the reference shop on 127.0.0.1 (a free port) for the length of `body`, then shuts it down gracefully.
public func withReferenceShop<Result: Sendable>(
    _ configuration: ShopConfiguration = ShopConfiguration(),
    _ body: @Sendable (_ shop: ReferenceShop, _ baseURL: String) async throws -> Result
) async throws -> Result {
    var configuration = configuration
    configuration.host = "127.0.0.1"
    configuration.port = 0
    let shop = try ReferenceShop(configuration: configuration)
    var logger = Logger(label: "stampede.testkit.shop")
    logger.logLevel = .warning
    let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
    let app = try shop.application(logger: logger) { port in
        portContinuation.yield(port)
        portContinuation.finish()
    }
    let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await services.run() }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw FixtureError("the shop did not start") }
        if configuration.store != .memory { try await shop.reset() }
        let outcome: Swift.Result<Result, any Error>
        do {
            let scheme = configuration.tls == nil ? "http" : "https"
            outcome = .success(try await body(shop, "\(scheme)://127.0.0.1:\(port)"))
        } catch {
            outcome = .failure(error)
        }
        await services.triggerGracefulShutdown()
        try await group.waitForAll()
        return try outcome.get()
    }
}

public struct FixtureError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
