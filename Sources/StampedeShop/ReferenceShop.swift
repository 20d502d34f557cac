import HTTPTypes
public import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
public import Logging
import NIOCore
import NIOSSL
import ServiceLifecycle
import StampedeHTTP
import Synchronization

/// The reference checkout target: browse, product page, cart, order (reserves stock), pay, and the ground truth.
///
/// Routes: `GET /products`, `GET /products/{sku}`, `POST /cart/items {sku, qty}`, `GET /cart`,
/// `POST /orders {sku, qty}` (201, or 409 when sold out), `POST /orders/{id}/pay`, `GET /orders/{id}`,
/// `GET /admin/inventory` (ground truth), `POST /admin/reset`, `POST /admin/faults`, `GET /health`.
/// A session cookie `sid` is set on the first visit and keys the cart.
public struct ReferenceShop: Sendable {
    public let configuration: ShopConfiguration
    public let inventory: any InventoryStore
    public let orders: OrderBook
    public let carts: Carts
    public let faults: ShopFaults
    public let requests = RequestLog()
    /// The storefront's sessions, accounts and baskets, when the shop serves one (`--storefront`).
    public let storefront: StorefrontState?
    let catalog: CatalogBook
    /// Charges orders when payment channels are configured.
    public let payments: PaymentRouter?
    /// Services the shop needs running besides its HTTP server (a database client, the lapse sweeper).
    private let services: [any Service]

    public init(configuration: ShopConfiguration) throws {
        self.configuration = configuration
        switch configuration.store {
        case .memory:
            self.inventory = MemoryInventory(
                catalog: configuration.catalog, mode: configuration.inventory, racyPause: configuration.racyPause)
            self.services = []
        case .postgres(let url):
            let store = PostgresInventory(url: url, mode: configuration.inventory, racyPause: configuration.racyPause)
            self.inventory = store
            self.services = [store]
        }
        self.payments = configuration.payments.map(PaymentRouter.init)
        self.orders = OrderBook()
        self.carts = Carts()
        self.faults = ShopFaults(configuration.faults)
        self.storefront = configuration.storefront.map(StorefrontState.init(accounts:))
        self.catalog = CatalogBook(configuration.catalog)
    }

    /// The books, as `GET /admin/inventory` serves them.
    public func groundTruth() async throws -> GroundTruth {
        let counts = orders.counts()
        return GroundTruth(
            mode: inventory.mode.rawValue, skus: try await inventory.snapshot(),
            orders: .init(reserved: counts.reserved, paid: counts.paid))
    }

    /// Starts again: the configured catalog, with `stock` overriding (or adding) SKUs.
    public func reset(stock: [String: Int] = [:]) async throws {
        let products = catalog.reset(configuration.catalog, stock: stock)
        try await inventory.reset(catalog: products)
        orders.reset()
        carts.reset()
        faults.clear()
        requests.reset()
        storefront?.reset()
    }

    /// Gives back the units of orders unpaid for longer than the reservation hold (never in `leaky` mode).
    public func releaseLapsed(now: ContinuousClock.Instant = .now) async throws {
        guard configuration.inventory != .leaky else { return }
        for order in orders.lapse(placedBefore: now - configuration.reservationHold) {
            try await inventory.release(sku: order.sku, quantity: order.quantity)
        }
    }

    /// An application serving the shop; `onServerRunning` receives the bound port.
    public func application(
        logger: Logger = Logger(label: "stampede.shop"),
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        Application(
            router: router(),
            server: try serverBuilder(),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: nil),
            services: services + [LapseSweeper(shop: self)] + (payments.map { [$0] } ?? []),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
            logger: logger)
    }

    /// Plain HTTP/1.1, or TLS with HTTP/2 and HTTP/1.1 by ALPN. The files are checked first, so that a problem
    /// is said in words: swift-nio-ssl said `failedToLoadCertificate` for a missing file and one with no
    /// certificate alike, and a key that is not the certificate's failed only as the server started.
    private func serverBuilder() throws -> HTTPServerBuilder {
        guard let tls = configuration.tls else { return .http1() }
        if let problem = PEMFiles.problem(certificate: tls.certificate, key: tls.key) {
            throw ShopSetupError(problem)
        }
        let settings = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.key, format: .pem)))
        return try .http2Upgrade(tlsConfiguration: settings)
    }

    public func router() -> Router<BasicRequestContext> {
        let router = Router()
        router.add(middleware: RequestLogging(log: requests))
        if let limit = configuration.maxInFlight { router.add(middleware: InFlightLimit(limit: limit)) }
        router.get("/health") { _, _ in "ok" }
        if let storefront { addStorefront(to: router, state: storefront) }
        router.get("/products") { request, _ in
            try await faults.apply(.products)
            let views = try await inventory.snapshot().map { item in
                let product = catalog.product(item.sku)
                return ProductView(
                    sku: item.sku, name: product?.name ?? item.sku, price: product?.price ?? 0,
                    available: max(0, item.stock))
            }
            return withSession(request, EditedResponse(response: views))
        }
        router.get("/products/{sku}") { request, context in
            try await faults.apply(.product)
            let sku = try context.parameters.require("sku")
            guard let product = catalog.product(sku), let available = try await inventory.available(sku: sku) else {
                throw HTTPError(.notFound, message: "no such product")
            }
            let view = ProductView(sku: sku, name: product.name, price: product.price, available: max(0, available))
            return withSession(request, EditedResponse(response: view))
        }
        router.post("/cart/items") { request, context in
            try await faults.apply(.cart)
            let item = try await request.decode(as: CartItemRequest.self, context: context)
            guard catalog.product(item.sku) != nil else { throw HTTPError(.notFound, message: "no such product") }
            let quantity = item.qty ?? 1
            guard (1...100).contains(quantity) else { throw HTTPError(.badRequest, message: "qty must be 1 to 100") }
            let (session, isNew) = sessionID(request)
            var response = EditedResponse(
                response: CartView(
                    session: session, items: carts.add(sku: item.sku, quantity: quantity, session: session)))
            if isNew { response.setCookie(Cookie(name: "sid", value: session, path: "/")) }
            return response
        }
        router.get("/cart") { request, _ in
            let (session, _) = sessionID(request)
            return CartView(session: session, items: carts.lines(session: session))
        }
        router.post("/orders") { request, context in
            try await faults.apply(.order)
            let body = try await request.decode(as: OrderRequest.self, context: context)
            let quantity = body.qty ?? 1
            guard (1...100).contains(quantity) else { throw HTTPError(.badRequest, message: "qty must be 1 to 100") }
            switch try await inventory.reserve(sku: body.sku, quantity: quantity) {
            case .unknownSKU: throw HTTPError(.notFound, message: "no such product")
            case .soldOut: throw HTTPError(.conflict, message: "sold out")
            case .reserved:
                let order = orders.place(
                    sku: body.sku, quantity: quantity, amount: quantity * (catalog.product(body.sku)?.price ?? 0),
                    session: request.cookies["sid"]?.value)
                return EditedResponse(status: .created, response: OrderView(order))
            }
        }
        router.post("/orders/{id}/pay") { request, context in
            try await faults.apply(.pay)
            switch try await pay(try context.parameters.require("id")) {
            case .unknown: throw HTTPError(.notFound, message: "no such order")
            case .refused(let reason): throw HTTPError(.conflict, message: reason)
            case .failed(let reason, let coupon):
                return try EditedResponse(
                    status: .badGateway, response: PaymentFailure(error: "payment failed: \(reason)", coupon: coupon)
                )
                .response(from: request, context: context)
            case .paid(let order):
                return try OrderView(order).response(from: request, context: context)
            }
        }
        router.get("/orders/{id}") { _, context in
            let id = try context.parameters.require("id")
            guard let order = orders.order(id) else { throw HTTPError(.notFound, message: "no such order") }
            return OrderView(order)
        }
        router.get("/admin/inventory") { _, _ in try await groundTruth() }
        router.get("/admin/orders") { _, _ in OrderList(orders: orders.all.map(OrderView.init)) }
        router.get("/admin/payments") { _, _ in PaymentAttempts(channels: payments?.attemptCounts ?? [:]) }
        router.post("/admin/reset") { request, context in
            let body =
                request.head.headerFields[.contentLength].flatMap(Int.init) ?? 0 > 0
                ? try await request.decode(as: ResetRequest.self, context: context) : ResetRequest(stock: nil)
            try await reset(stock: body.stock ?? [:])
            return Message(message: "reset")
        }
        router.post("/admin/faults") { request, context in
            let body = try await request.decode(as: FaultsRequest.self, context: context)
            if body.clear == true { faults.clear() }
            for (name, milliseconds) in body.delays ?? [:] {
                guard let route = ShopFaults.Route(rawValue: name) else {
                    throw HTTPError(
                        .badRequest, message: "unknown route \(name); expected products, product, cart, order or pay")
                }
                faults.setDelay(milliseconds > 0 ? .milliseconds(milliseconds) : nil, for: route)
            }
            if let stall = body.stall_ms, stall > 0 { faults.stall(for: .milliseconds(stall)) }
            if body.fail == true { faults.fail() }
            return Message(message: "faults set")
        }
        return router
    }

    enum Payment {
        case paid(OrderBook.Order)
        case unknown
        /// Already paid, or lapsed unpaid.
        case refused(String)
        /// The channels failed; the shopper got a coupon.
        case failed(String, coupon: String)
    }

    /// Pays an order: through the payment channels when configured, then marks it paid and sells its units.
    func pay(_ id: String) async throws -> Payment {
        var channel: String? = nil
        var charge: String? = nil
        if let payments {
            guard let order = orders.order(id) else { return .unknown }
            guard order.status == .reserved else {
                return .refused(order.status == .paid ? "already paid" : "the order lapsed unpaid")
            }
            switch await payments.pay(order: id, amount: order.amount) {
            case .paid(let name, let id):
                (channel, charge) = (name, id)
            case .failed(let reason):
                return .failed(reason, coupon: orders.compensate(id))
            }
        }
        switch orders.markPaid(id, channel: channel, charge: charge) {
        case .unknown: return .unknown
        case .alreadyPaid: return .refused("already paid")
        case .lapsed: return .refused("the order lapsed unpaid")
        case .paid(let order):
            try await inventory.sell(sku: order.sku, quantity: order.quantity)
            return .paid(order)
        }
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

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
        -> Response
    {
        let now = inFlight.value.wrappingAdd(1, ordering: .relaxed).newValue
        defer { inFlight.value.wrappingSubtract(1, ordering: .relaxed) }
        if now > limit { return Response(status: .tooManyRequests) }
        return try await next(request, context)
    }
}

/// Releases lapsed reservations four times a second.
struct LapseSweeper: Service {
    let shop: ReferenceShop

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await shop.releaseLapsed()
            try? await Task.sleep(for: .milliseconds(250))
        }
    }
}

/// The products on sale (names and prices), which a reset may change.
final class CatalogBook: Sendable {
    private let products: Mutex<[String: Product]>
    /// In catalog order: a product's storefront id is its position here, from 1 (new SKUs come last, so ids stay).
    private let order: Mutex<[Product]>

    init(_ catalog: [Product]) {
        products = Mutex(Dictionary(catalog.map { ($0.sku, $0) }, uniquingKeysWith: { a, _ in a }))
        order = Mutex(catalog)
    }

    func product(_ sku: String) -> Product? { products.withLock { $0[sku] } }

    var ordered: [Product] { order.withLock { $0 } }

    func product(id: Int) -> Product? {
        order.withLock { $0.indices.contains(id - 1) ? $0[id - 1] : nil }
    }

    func id(of sku: String) -> Int? {
        order.withLock { products in products.firstIndex { $0.sku == sku }.map { $0 + 1 } }
    }

    /// The configured catalog with `stock` applied; unknown SKUs become 1-yuan flash-sale items.
    func reset(_ catalog: [Product], stock: [String: Int]) -> [Product] {
        var result = catalog
        for (sku, units) in stock.sorted(by: { $0.key < $1.key }) {
            if let index = result.firstIndex(where: { $0.sku == sku }) {
                result[index].stock = units
            } else {
                result.append(Product(sku: sku, name: "Flash sale \(sku)", price: 100, stock: units))
            }
        }
        products.withLock { $0 = Dictionary(result.map { ($0.sku, $0) }, uniquingKeysWith: { a, _ in a }) }
        order.withLock { $0 = result }
        return result
    }
}

/// Logs every request before anything else looks at it.
struct RequestLogging<Context: RequestContext>: RouterMiddleware {
    let log: RequestLog

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws
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

/// The shop cannot start as configured (a certificate or key that cannot be read).
public struct ShopSetupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
