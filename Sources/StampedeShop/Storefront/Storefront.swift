import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// The reference shop's storefront (`stampede shop --storefront`), in the style of the classic platforms (Django
/// Oscar, Magento, Shopware): HTML pages with a login form and a CSRF token (double-submit: the `csrftoken` cookie
/// and the form field, or the `X-CSRFToken` header, must agree), POST-redirect-GET, a REST API whose product lists
/// carry absolute URLs, a basket URL and a payment URL handed out by responses, numeric quantities, and accounts
/// (`--accounts FILE`, or `shopper<N>@storefront.test` / `secret-<N>`). Stock is checked when a product is added
/// to the basket (406 when none is left) and taken at checkout, with the shop's inventory mode (racy oversells).
///
/// HTML: `GET /`, `GET|POST /accounts/login/`, `GET /catalogue/`, `GET /catalogue/{slug}_{id}/`,
/// `POST /basket/add/{id}/`, `GET /basket/`, `POST /checkout/`, `GET /checkout/thank-you/{n}/`,
/// `POST /checkout/payment/{n}/`. API: `GET /api/products/`, `GET /api/products/{id}/`, `GET /api/basket/`,
/// `POST /api/basket/add-product/ {url, quantity}`, `POST /api/checkout/ {basket}`, `POST /api/payment/{n}/`,
/// `GET /api/orders/{n}/`.
extension ReferenceShop {
    func addStorefront(to router: Router<BasicRequestContext>, state: StorefrontState) {
        addStorefrontPages(to: router, state: state)
        addStorefrontAPI(to: router, state: state)
    }

    // MARK: HTML

    private func addStorefrontPages(to router: Router<BasicRequestContext>, state: StorefrontState) {
        router.get("/") { request, _ in
            html(request, state) { csrf, user in StorefrontPages.home(csrf: csrf, user: user) }
        }
        router.get("/accounts/login") { request, _ in
            html(request, state) { csrf, _ in StorefrontPages.login(csrf: csrf, error: nil) }
        }
        router.post("/accounts/login") { request, _ in
            var request = request
            let form = Self.formFields(try await request.collectBody(upTo: 1 << 16))
            if let refusal = Self.csrfRefusal(request, token: form["csrfmiddlewaretoken"]) { return refusal }
            guard let email = form["login-username"], let password = form["login-password"],
                state.accounts.accepts(email: email, password: password)
            else {
                return html(request, state) { csrf, _ in
                    StorefrontPages.login(
                        csrf: csrf,
                        error: "Please enter a correct username and password. Note that both fields may be "
                            + "case-sensitive.")
                }
            }
            // POST-redirect-GET, with the session in an HttpOnly cookie.
            var response = Self.redirect(to: "/")
            response.setCookie(
                Cookie(name: "sessionid", value: state.signIn(email: email), path: "/", httpOnly: true, sameSite: .lax))
            return response
        }
        router.get("/catalogue") { request, _ in
            let items = try await catalogue()
            return html(request, state) { csrf, user in
                StorefrontPages.catalogue(csrf: csrf, user: user, products: items)
            }
        }
        router.get("/catalogue/{slug}") { request, context in
            try await faults.apply(.product)
            let slug = try context.parameters.require("slug")
            guard let id = slug.split(separator: "_").last.flatMap({ Int($0) }), let product = catalog.product(id: id),
                let available = try await inventory.available(sku: product.sku)
            else { throw HTTPError(.notFound, message: "no such product") }
            return html(request, state) { csrf, user in
                StorefrontPages.product(csrf: csrf, user: user, id: id, product: product, available: available)
            }
        }
        router.post("/basket/add/{id}") { request, context in
            try await faults.apply(.cart)
            var request = request
            let form = Self.formFields(try await request.collectBody(upTo: 1 << 16))
            if let refusal = Self.csrfRefusal(request, token: form["csrfmiddlewaretoken"]) { return refusal }
            guard let session = Self.session(request, state) else { return Self.redirect(to: "/accounts/login/") }
            guard let id = context.parameters.get("id").flatMap(Int.init), let product = catalog.product(id: id) else {
                throw HTTPError(.notFound, message: "no such product")
            }
            let quantity = form["quantity"].flatMap(Int.init) ?? 1
            guard (1...100).contains(quantity) else {
                throw HTTPError(.badRequest, message: "quantity must be 1 to 100")
            }
            guard try await inventory.available(sku: product.sku) ?? 0 >= quantity else {
                return html(request, state, status: .notAcceptable) { csrf, user in
                    StorefrontPages.basket(csrf: csrf, user: user, lines: [], message: "\(product.name) is sold out")
                }
            }
            _ = state.add(sku: product.sku, quantity: quantity, session: session)
            return Self.redirect(to: "/basket/")
        }
        router.get("/basket") { request, _ in
            guard let session = Self.session(request, state) else { return Self.redirect(to: "/accounts/login/") }
            let lines = state.basket(session: session).lines.compactMap { line in
                catalog.product(line.sku).map { ($0, line.quantity) }
            }
            return html(request, state) { csrf, user in
                StorefrontPages.basket(csrf: csrf, user: user, lines: lines, message: nil)
            }
        }
        router.post("/checkout") { request, _ in
            var request = request
            let form = Self.formFields(try await request.collectBody(upTo: 1 << 16))
            if let refusal = Self.csrfRefusal(request, token: form["csrfmiddlewaretoken"]) { return refusal }
            guard let session = Self.session(request, state) else { return Self.redirect(to: "/accounts/login/") }
            switch try await checkout(session: session, state: state) {
            case .placed(let order):
                return Self.redirect(to: "/checkout/thank-you/\(Self.number(order))/")
            case .empty:
                return Self.redirect(to: "/basket/")
            case .soldOut(let sku):
                return html(request, state, status: .notAcceptable) { csrf, user in
                    StorefrontPages.basket(csrf: csrf, user: user, lines: [], message: "\(sku) sold out at checkout")
                }
            }
        }
        router.get("/checkout/thank-you/{number}") { request, context in
            guard let order = orders.order(Self.orderID(number: context.parameters.get("number"))),
                let product = catalog.product(order.sku)
            else { throw HTTPError(.notFound, message: "no such order") }
            return html(request, state) { csrf, user in
                StorefrontPages.thankYou(
                    csrf: csrf, user: user, number: Self.number(order), product: product, quantity: order.quantity)
            }
        }
        router.post("/checkout/payment/{number}") { request, context in
            var request = request
            let form = Self.formFields(try await request.collectBody(upTo: 1 << 16))
            if let refusal = Self.csrfRefusal(request, token: form["csrfmiddlewaretoken"]) { return refusal }
            switch try await pay(Self.orderID(number: context.parameters.get("number"))) {
            case .paid(let order):
                return html(request, state) { csrf, user in
                    StorefrontPages.paid(csrf: csrf, user: user, number: Self.number(order))
                }
            case .unknown: throw HTTPError(.notFound, message: "no such order")
            case .refused(let reason): throw HTTPError(.conflict, message: reason)
            case .failed(let reason, _): throw HTTPError(.badGateway, message: "payment failed: \(reason)")
            }
        }
    }

    // MARK: API

    private func addStorefrontAPI(to router: Router<BasicRequestContext>, state: StorefrontState) {
        router.get("/api/products") { request, _ in
            try await faults.apply(.products)
            let base = Self.base(request, tls: configuration.tls != nil)
            let items = try await catalogue().map {
                StorefrontProduct(id: $0.id, product: $0.product, available: $0.available, base: base)
            }
            return StorefrontProductList(count: items.count, results: items)
        }
        router.get("/api/products/{id}") { request, context in
            try await faults.apply(.product)
            guard let id = context.parameters.get("id").flatMap(Int.init), let product = catalog.product(id: id),
                let available = try await inventory.available(sku: product.sku)
            else { throw HTTPError(.notFound, message: "no such product") }
            return StorefrontProduct(
                id: id, product: product, available: available, base: Self.base(request, tls: configuration.tls != nil))
        }
        router.get("/api/basket") { request, _ in
            guard let session = Self.session(request, state) else {
                throw HTTPError(.forbidden, message: "log in first")
            }
            return StorefrontBasket(
                state.basket(session: session), base: Self.base(request, tls: configuration.tls != nil),
                catalog: catalog)
        }
        router.post("/api/basket/add-product") { request, context in
            try await faults.apply(.cart)
            if let refusal = Self.csrfRefusal(request, token: request.headers[HTTPField.Name("X-CSRFToken")!]) {
                return refusal
            }
            guard let session = Self.session(request, state) else {
                throw HTTPError(.forbidden, message: "log in first")
            }
            let body = try await request.decode(as: StorefrontAddProduct.self, context: context)
            guard (1...100).contains(body.quantity) else {
                throw HTTPError(.badRequest, message: "quantity must be 1 to 100")
            }
            guard let id = body.url.split(separator: "/").last.flatMap({ Int($0) }),
                let product = catalog.product(id: id)
            else { throw HTTPError(.badRequest, message: "url: no such product \(body.url)") }
            let base = Self.base(request, tls: configuration.tls != nil)
            guard try await inventory.available(sku: product.sku) ?? 0 >= body.quantity else {
                return try EditedResponse(
                    status: .notAcceptable, response: StorefrontRefusal(reason: "no stock available for \(product.sku)")
                )
                .response(from: request, context: context)
            }
            let basket = state.add(sku: product.sku, quantity: body.quantity, session: session)
            return try StorefrontBasket(basket, base: base, catalog: catalog).response(from: request, context: context)
        }
        router.post("/api/checkout") { request, context in
            try await faults.apply(.order)
            if let refusal = Self.csrfRefusal(request, token: request.headers[HTTPField.Name("X-CSRFToken")!]) {
                return refusal
            }
            guard let session = Self.session(request, state) else {
                throw HTTPError(.forbidden, message: "log in first")
            }
            let body = try await request.decode(as: StorefrontCheckout.self, context: context)
            let base = Self.base(request, tls: configuration.tls != nil)
            let basket = state.basket(session: session)
            guard body.basket == "\(base)/api/baskets/\(basket.id)/" else {
                throw HTTPError(.badRequest, message: "basket: expected your basket's URL, found \(body.basket)")
            }
            switch try await checkout(session: session, state: state) {
            case .placed(let order):
                return try StorefrontOrder(order, base: base).response(from: request, context: context)
            case .empty:
                throw HTTPError(.badRequest, message: "the basket is empty")
            case .soldOut(let sku):
                return try EditedResponse(
                    status: .notAcceptable, response: StorefrontRefusal(reason: "\(sku) sold out at checkout")
                )
                .response(from: request, context: context)
            }
        }
        router.post("/api/payment/{number}") { request, context in
            try await faults.apply(.pay)
            if let refusal = Self.csrfRefusal(request, token: request.headers[HTTPField.Name("X-CSRFToken")!]) {
                return refusal
            }
            guard Self.session(request, state) != nil else { throw HTTPError(.forbidden, message: "log in first") }
            switch try await pay(Self.orderID(number: context.parameters.get("number"))) {
            case .paid(let order):
                return try StorefrontOrder(order, base: Self.base(request, tls: configuration.tls != nil))
                    .response(from: request, context: context)
            case .unknown: throw HTTPError(.notFound, message: "no such order")
            case .refused(let reason): throw HTTPError(.conflict, message: reason)
            case .failed(let reason, _): throw HTTPError(.badGateway, message: "payment failed: \(reason)")
            }
        }
        router.get("/api/orders/{number}") { request, context in
            guard let order = orders.order(Self.orderID(number: context.parameters.get("number"))) else {
                throw HTTPError(.notFound, message: "no such order")
            }
            return StorefrontOrder(order, base: Self.base(request, tls: configuration.tls != nil))
        }
    }

    // MARK: The parts

    enum Checkout {
        case placed(OrderBook.Order)
        case soldOut(String)
        case empty
    }

    /// Takes the basket's stock and places the order (one order per basket line; the first line's is returned).
    func checkout(session: String, state: StorefrontState) async throws -> Checkout {
        let lines = state.basket(session: session).lines
        guard !lines.isEmpty else { return .empty }
        var placed: [OrderBook.Order] = []
        for line in lines {
            switch try await inventory.reserve(sku: line.sku, quantity: line.quantity) {
            case .reserved:
                placed.append(
                    orders.place(
                        sku: line.sku, quantity: line.quantity,
                        amount: line.quantity * (catalog.product(line.sku)?.price ?? 0), session: session))
            case .soldOut, .unknownSKU:
                for order in placed {
                    try await inventory.release(sku: order.sku, quantity: order.quantity)
                    orders.cancel(order.id)
                }
                state.submit(session: session)
                return .soldOut(line.sku)
            }
        }
        state.submit(session: session)
        return .placed(placed[0])
    }

    func catalogue() async throws -> [(id: Int, product: Product, available: Int)] {
        let stock = Dictionary(
            try await inventory.snapshot().map { ($0.sku, $0.stock) }, uniquingKeysWith: { a, _ in a })
        return catalog.ordered.enumerated().map { index, product in
            (index + 1, product, max(0, stock[product.sku] ?? 0))
        }
    }

    /// An HTML page, with the CSRF cookie set when the visitor has none.
    private func html(
        _ request: Request, _ state: StorefrontState, status: HTTPResponse.Status = .ok,
        _ page: (_ csrf: String, _ user: String?) -> String
    ) -> Response {
        let existing = request.cookies["csrftoken"]?.value
        let csrf = existing ?? state.token()
        var response = Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: page(csrf, Self.user(request, state)))))
        if existing == nil {
            response.setCookie(Cookie(name: "csrftoken", value: csrf, path: "/", httpOnly: false, sameSite: .lax))
        }
        return response
    }

    /// 403 unless the token sent (form field or header) equals the `csrftoken` cookie.
    static func csrfRefusal(_ request: Request, token: String?) -> Response? {
        guard let cookie = request.cookies["csrftoken"]?.value, !cookie.isEmpty else {
            return forbidden("CSRF cookie not set.")
        }
        guard let token, token == cookie else { return forbidden("CSRF token incorrect.") }
        return nil
    }

    static func forbidden(_ reason: String) -> Response {
        Response(
            status: .forbidden, headers: [.contentType: "text/html; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(string: StorefrontPages.forbidden(reason))))
    }

    static func redirect(to location: String) -> Response {
        Response(status: .found, headers: [.location: location, .contentLength: "0"])
    }

    static func session(_ request: Request, _ state: StorefrontState) -> String? {
        guard let session = request.cookies["sessionid"]?.value, state.email(session: session) != nil else {
            return nil
        }
        return session
    }

    static func user(_ request: Request, _ state: StorefrontState) -> String? {
        state.email(session: request.cookies["sessionid"]?.value)
    }

    /// `http://host:port` as the client addressed the shop (for the absolute URLs of the API).
    static func base(_ request: Request, tls: Bool) -> String {
        "\(tls ? "https" : "http")://\(request.head.authority ?? "127.0.0.1")"
    }

    /// Order numbers as the platforms show them: from 100001.
    static func number(_ order: OrderBook.Order) -> Int { 100_000 + (Int(order.id.dropFirst("ord-".count)) ?? 0) }

    /// The order book's id of an order number.
    static func orderID(number: String?) -> String {
        "ord-\((number.flatMap { Int($0) } ?? 0) - 100_000)"
    }

    /// An `application/x-www-form-urlencoded` body's fields (the last of a repeated name).
    static func formFields(_ body: ByteBuffer) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                (text.replacingOccurrences(of: "+", with: " ")).removingPercentEncoding ?? String(text)
            }
            fields[decode(parts[0])] = parts.count > 1 ? decode(parts[1]) : ""
        }
        return fields
    }
}
