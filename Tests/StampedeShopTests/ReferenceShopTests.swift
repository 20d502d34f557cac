import Foundation
import NIOCore
import NIOHTTP1
import StampedeCore
import StampedeHTTP
import StampedeTestKit
import Testing

@testable import StampedeShop

@Suite(.timeLimit(.minutes(1)))
struct ReferenceShopTests {
    static func post(
        _ client: HTTPClient, _ origin: Origin, _ path: String, _ json: String, cookie: String? = nil
    ) async throws
        -> HTTPResponse
    {
        var request = HTTPRequest(method: .POST, target: path, body: ByteBuffer(string: json))
        request.headers.add(name: "content-type", value: "application/json")
        if let cookie { request.headers.add(name: "cookie", value: cookie) }
        return try await client.execute(request, to: origin, timeout: .seconds(10))
    }

    /// `crowd` shoppers order one unit of a SKU with `stock` units, all at once.
    static func burst(
        mode: InventoryMode, stock: Int, crowd: Int
    ) async throws -> (confirmed: Int, soldOut: Int, books: StockItem) {
        let catalog = [Product(sku: "FLASH-1", name: "1-yuan phone", price: 100, stock: stock)]
        return try await withReferenceShop(ShopConfiguration(inventory: mode, catalog: catalog)) { shop, url in
            try await withHTTPClient(HTTPClientConfiguration(maxConnectionsPerOrigin: crowd)) { client in
                let origin = Origin(url: url)!
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<crowd {
                        group.addTask {
                            try await post(client, origin, "/orders", #"{"sku":"FLASH-1","qty":1}"#).status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                let books = try await shop.inventory.snapshot()[0]
                return (statuses.filter { $0 == 201 }.count, statuses.filter { $0 == 409 }.count, books)
            }
        }
    }

    @Test func racyInventoryOversellsUnderABurst() async throws {
        let result = try await Self.burst(mode: .racy, stock: 20, crowd: 200)
        #expect(result.confirmed > 20, "racy mode confirmed only \(result.confirmed)")
        // The shop's own books admit it: more reserved than there ever was.
        #expect(result.books.reserved == result.confirmed)
        #expect(result.books.reserved + result.books.sold > result.books.initial)
        #expect(result.confirmed + result.soldOut == 200)
    }

    @Test func atomicInventoryNeverOversells() async throws {
        let result = try await Self.burst(mode: .atomic, stock: 20, crowd: 200)
        #expect(result.confirmed == 20)
        #expect(result.soldOut == 180)
        #expect(result.books.stock == 0)
        #expect(result.books.reserved == 20)
    }

    @Test func aShopperCanBrowseCartOrderAndPay() async throws {
        try await withReferenceShop { shop, url in
            try await withHTTPClient { client in
                let origin = Origin(url: url)!
                let products = try await client.execute(
                    HTTPRequest(target: "/products"), to: origin, timeout: .seconds(5))
                #expect(products.status == 200)
                let setCookie = try #require(products.headers["set-cookie"].first)
                #expect(setCookie.hasPrefix("sid="))
                let cookie = String(setCookie.split(separator: ";")[0])
                let cart = try await Self.post(
                    client, origin, "/cart/items", #"{"sku":"SKU-0003","qty":2}"#, cookie: cookie)
                #expect(cart.status == 200)
                #expect(String(buffer: cart.body).contains(#""quantity":2"#))
                let order = try await Self.post(client, origin, "/orders", #"{"sku":"SKU-0003"}"#, cookie: cookie)
                #expect(order.status == 201)
                let id = try #require(String(buffer: order.body).firstMatch(of: /"id":"(ord-\d+)"/)?.output.1)
                let paid = try await Self.post(client, origin, "/orders/\(id)/pay", "{}")
                #expect(paid.status == 200)
                let again = try await Self.post(client, origin, "/orders/\(id)/pay", "{}")
                #expect(again.status == 409)
                let truth = try await shop.groundTruth()
                let item = try #require(truth.skus.first { $0.sku == "SKU-0003" })
                #expect(item.sold == 1 && item.reserved == 0 && item.stock == item.initial - 1)
                #expect(truth.orders.paid == 1)
                let missing = try await client.execute(
                    HTTPRequest(target: "/products/NOPE"), to: origin, timeout: .seconds(5))
                #expect(missing.status == 404)
            }
        }
    }

    @Test func faultsDelayAndStallRequests() async throws {
        try await withReferenceShop { shop, url in
            try await withHTTPClient { client in
                let origin = Origin(url: url)!
                shop.faults.setDelay(.milliseconds(150), for: .product)
                let began = ContinuousClock.now
                _ = try await client.execute(
                    HTTPRequest(target: "/products/SKU-0001"), to: origin, timeout: .seconds(5))
                #expect(ContinuousClock.now - began >= .milliseconds(150))
                let set = try await Self.post(
                    client, origin, "/admin/faults", #"{"stall_ms": 300, "delays": {"product": 0}}"#)
                #expect(set.status == 200)
                let stalled = ContinuousClock.now
                _ = try await client.execute(HTTPRequest(target: "/products"), to: origin, timeout: .seconds(5))
                #expect(ContinuousClock.now - stalled >= .milliseconds(250))
            }
        }
    }

    /// `stampede shop --delay product:100ms --fail-after 0.4s`: what the shop was started with survives the reset a
    /// scenario's setup sends; faults set later do not.
    @Test func theFaultsAShopStartsWithSurviveAReset() async throws {
        var configuration = ShopConfiguration()
        configuration.faults = ShopFaults.Settings(
            delays: [.product: .milliseconds(100)], failAfter: .milliseconds(400))
        try await withReferenceShop(configuration) { shop, url in
            try await withHTTPClient { client in
                let origin = Origin(url: url)!
                shop.faults.setDelay(.milliseconds(100), for: .products)
                #expect(try await Self.post(client, origin, "/admin/reset", "{}").status == 200)
                let began = ContinuousClock.now
                _ = try await client.execute(
                    HTTPRequest(target: "/products/SKU-0001"), to: origin, timeout: .seconds(5))
                #expect(ContinuousClock.now - began >= .milliseconds(100))
                let listed = ContinuousClock.now
                _ = try await client.execute(HTTPRequest(target: "/products"), to: origin, timeout: .seconds(5))
                #expect(ContinuousClock.now - listed < .milliseconds(100))
                try await Task.sleep(for: .milliseconds(400))
                let failing = try await client.execute(
                    HTTPRequest(target: "/products"), to: origin, timeout: .seconds(5))
                #expect(failing.status == 500)
            }
        }
    }

    @Test func beyondTheInFlightLimitTheShopAnswers429() async throws {
        try await withReferenceShop(ShopConfiguration(maxInFlight: 2)) { shop, url in
            shop.faults.setDelay(.milliseconds(200), for: .products)
            try await withHTTPClient { client in
                let origin = Origin(url: url)!
                let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                    for _ in 0..<10 {
                        group.addTask {
                            try await client.execute(HTTPRequest(target: "/products"), to: origin, timeout: .seconds(5))
                                .status
                        }
                    }
                    return try await group.reduce(into: [Int]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == 200 }.count == 2)
                #expect(statuses.filter { $0 == 429 }.count == 8)
            }
        }
    }

    @Test(arguments: [InventoryMode.atomic, .leaky])
    func unpaidOrdersLapseExceptInLeakyMode(mode: InventoryMode) async throws {
        try await withReferenceShop(ShopConfiguration(inventory: mode, reservationHold: .milliseconds(200))) {
            shop, url in
            try await withHTTPClient { client in
                let origin = Origin(url: url)!
                let reset = try await Self.post(client, origin, "/admin/reset", #"{"stock":{"FLASH-Z":3}}"#)
                #expect(reset.status == 200)
                for _ in 0..<3 {
                    #expect(try await Self.post(client, origin, "/orders", #"{"sku":"FLASH-Z"}"#).status == 201)
                }
                #expect(try await Self.post(client, origin, "/orders", #"{"sku":"FLASH-Z"}"#).status == 409)
                try await Task.sleep(for: .milliseconds(700))
                let item = try #require(try await shop.inventory.snapshot().first { $0.sku == "FLASH-Z" })
                if mode == .leaky {
                    #expect(item.stock == 0 && item.reserved == 3)
                } else {
                    #expect(item.stock == 3 && item.reserved == 0)
                    let lapsed = try await Self.post(client, origin, "/orders/ord-1/pay", "{}")
                    #expect(lapsed.status == 409)
                }
            }
        }
    }

    @Test func aPhantomShopConfirmsWithoutWriting() async throws {
        try await withReferenceShop(ShopConfiguration(inventory: .phantom)) { shop, url in
            try await withHTTPClient { client in
                let origin = Origin(url: url)!
                #expect(try await Self.post(client, origin, "/orders", #"{"sku":"SKU-0001"}"#).status == 201)
                let item = try #require(try await shop.inventory.snapshot().first { $0.sku == "SKU-0001" })
                #expect(item.stock == item.initial && item.reserved == 0 && item.sold == 0)
            }
        }
    }
}
