public import Hummingbird
public import Logging
import HTTPTypes
import NIOCore
import Synchronization

/// The reference checkout target: browse, product page, cart, order (reserves stock), pay, and the ground truth.
///
/// Routes: `GET /products`, `GET /products/{sku}`, `POST /cart/items {sku, qty}`, `GET /cart`,
/// `POST /orders {sku, qty}` (201, or 409 when sold out), `POST /orders/{id}/pay`, `GET /orders/{id}`,
/// `GET /admin/inventory` (ground truth), `POST /admin/reset`, `POST /admin/faults`, `GET /health`.
/// A session cookie `sid` is set on the first visit and keys the cart.
public struct ReferenceShop: Sendable {
    public let configuration: ShopConfiguration
    public let inventory: Inventory
    public let orders: OrderBook
    public let carts: Carts
    public let faults: ShopFaults
    public let requests = RequestLog()
    private let prices: [String: Int]

    public init(configuration: ShopConfiguration) {
        self.configuration = configuration
        self.inventory = Inventory(
            catalog: configuration.catalog, mode: configuration.inventory, racyPause: configuration.racyPause)
        self.orders = OrderBook()
        self.carts = Carts()
        self.faults = ShopFaults()
        self.prices = Dictionary(configuration.catalog.map { ($0.sku, $0.price) }, uniquingKeysWith: { a, _ in a })
    }

    /// The books, as `GET /admin/inventory` serves them.
    public func groundTruth() -> GroundTruth {
        let counts = orders.counts()
        return GroundTruth(
            mode: inventory.mode.rawValue, skus: inventory.snapshot(),
            orders: .init(reserved: counts.reserved, paid: counts.paid))
    }

    public func reset() {
        inventory.reset()
        orders.reset()
        carts.reset()
        faults.clear()
    }

    /// An application serving the shop; `onServerRunning` receives the bound port.
    public func application(
        logger: Logger = Logger(label: "stampede.shop"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) -> some ApplicationProtocol {
        Application(
            router: router(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLogging(log: requests))
        if let limit = configuration.maxInFlight { router.add(middleware: InFlightLimit(limit: limit)) }
        router.get("/health") { _, _ in "ok" }
        router.get("/products") { request, _ in
            await faults.apply(.products)
            let views = inventory.snapshot().map {
                ProductView(sku: $0.sku, name: name(of: $0.sku), price: prices[$0.sku] ?? 0, available: max(0, $0.stock))
            }
            return withSession(request, EditedResponse(response: views))
        }
        router.get("/products/{sku}") { request, context in
            await faults.apply(.product)
            let sku = try context.parameters.require("sku")
            guard let available = inventory.available(sku: sku) else { throw HTTPError(.notFound, message: "no such product") }
            let view = ProductView(sku: sku, name: name(of: sku), price: prices[sku] ?? 0, available: max(0, available))
            return withSession(request, EditedResponse(response: view))
        }
        router.post("/cart/items") { request, context in
            await faults.apply(.cart)
            let item = try await request.decode(as: CartItemRequest.self, context: context)
            guard prices[item.sku] != nil else { throw HTTPError(.notFound, message: "no such product") }
            let quantity = item.qty ?? 1
            guard (1...100).contains(quantity) else { throw HTTPError(.badRequest, message: "qty must be 1 to 100") }
            let (session, isNew) = sessionID(request)
            var response = EditedResponse(
                response: CartView(session: session, items: carts.add(sku: item.sku, quantity: quantity, session: session)))
            if isNew { response.setCookie(Cookie(name: "sid", value: session, path: "/")) }
            return response
        }
        router.get("/cart") { request, _ in
            let (session, _) = sessionID(request)
            return CartView(session: session, items: carts.lines(session: session))
        }
        router.post("/orders") { request, context in
            await faults.apply(.order)
            let body = try await request.decode(as: OrderRequest.self, context: context)
            let quantity = body.qty ?? 1
            guard (1...100).contains(quantity) else { throw HTTPError(.badRequest, message: "qty must be 1 to 100") }
            switch await inventory.reserve(sku: body.sku, quantity: quantity) {
            case .unknownSKU: throw HTTPError(.notFound, message: "no such product")
            case .soldOut: throw HTTPError(.conflict, message: "sold out")
            case .reserved:
                let order = orders.place(
                    sku: body.sku, quantity: quantity, amount: quantity * (prices[body.sku] ?? 0),
                    session: request.cookies["sid"]?.value)
                return EditedResponse(status: .created, response: OrderView(order))
            }
        }
        router.post("/orders/{id}/pay") { request, context in
            await faults.apply(.pay)
            let id = try context.parameters.require("id")
            switch orders.markPaid(id) {
            case .unknown: throw HTTPError(.notFound, message: "no such order")
            case .alreadyPaid: throw HTTPError(.conflict, message: "already paid")
            case .paid(let order):
                inventory.sell(sku: order.sku, quantity: order.quantity)
                return OrderView(order)
            }
        }
        router.get("/orders/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let order = orders.order(id) else { throw HTTPError(.notFound, message: "no such order") }
            return OrderView(order)
        }
        router.get("/admin/inventory") { _, _ in groundTruth() }
        router.post("/admin/reset") { _, _ in
            reset()
            return Message(message: "reset")
        }
        router.post("/admin/faults") { request, context in
            let body = try await request.decode(as: FaultsRequest.self, context: context)
            if body.clear == true { faults.clear() }
            for (name, milliseconds) in body.delays ?? [:] {
                guard let route = ShopFaults.Route(rawValue: name) else {
                    throw HTTPError(.badRequest, message: "unknown route \(name); expected products, product, cart, order or pay")
                }
                faults.setDelay(milliseconds > 0 ? .milliseconds(milliseconds) : nil, for: route)
            }
            if let stall = body.stall_ms, stall > 0 { faults.stall(for: .milliseconds(stall)) }
            return Message(message: "faults set")
        }
        return router
    }

    private func name(of sku: String) -> String {
        configuration.catalog.first { $0.sku == sku }?.name ?? sku
    }

    private func sessionID(_ request: Request) -> (String, isNew: Bool) {
        if let session = request.cookies["sid"]?.value { return (session, false) }
        return (carts.newSession(), true)
    }

    /// Sets the session cookie on a first visit.
    private func withSession<Body>(_ request: Request, _ response: EditedResponse<Body>) -> EditedResponse<Body> {
        guard request.cookies["sid"] == nil else { return response }
        var response = response
        response.setCookie(Cookie(name: "sid", value: carts.newSession(), path: "/"))
        return response
    }
}

/// Answers 429 when too many requests are in progress: rate limiting, as a real checkout does.
struct InFlightLimit<Context: RequestContext>: RouterMiddleware {
    let limit: Int
    let inFlight = Counter()

    final class Counter: Sendable {
        let value = Atomic<Int>(0)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let now = inFlight.value.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.value.wrappingSubtract(1, ordering: .relaxed) }
        if now > limit { return Response(status: .tooManyRequests) }
        return try await next(request, context)
    }
}

/// Logs every request before anything else looks at it.
struct RequestLogging<Context: RequestContext>: RouterMiddleware {
    let log: RequestLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        log.append(
            worker: request.headers[.stampedeWorker], shopper: request.headers[.stampedeShopper].flatMap { UInt64($0) },
            method: request.method.rawValue, path: request.uri.path)
        return try await next(request, context)
    }
}

extension HTTPField.Name {
    static let stampedeWorker = Self("x-stampede-worker")!
    static let stampedeShopper = Self("x-stampede-shopper")!
}
