public import Hummingbird

/// The JSON the shop speaks.
struct ProductView: ResponseEncodable, Equatable {
    var sku: String
    var name: String
    var price: Int
    var available: Int
}

struct CartItemRequest: Decodable {
    var sku: String
    var qty: Int?
}

struct CartView: ResponseEncodable {
    var session: String
    var items: [Carts.Line]
}

struct OrderRequest: Decodable {
    var sku: String
    var qty: Int?
}

struct OrderView: ResponseEncodable {
    var id: String
    var sku: String
    var qty: Int
    var amount: Int
    var status: String
    var channel: String?
    var charge: String?
    var coupon: String?

    init(_ order: OrderBook.Order) {
        id = order.id
        sku = order.sku
        qty = order.quantity
        amount = order.amount
        status = order.status.rawValue
        channel = order.channel
        charge = order.charge
        coupon = order.coupon
    }
}

struct OrderList: ResponseEncodable {
    var orders: [OrderView]
}

struct PaymentFailure: ResponseEncodable {
    var error: String
    var coupon: String
}

/// Payment attempts per channel, by how they ended: succeeded, declined, refused, timeout, garbled.
struct PaymentAttempts: ResponseEncodable {
    var channels: [String: [String: Int]]
}

struct PayRequest: Decodable {
    var channel: String?
}

/// The ground truth: the shop's own books per SKU.
public struct GroundTruth: ResponseCodable, Equatable {
    public var mode: String
    public var skus: [StockItem]
    public var orders: OrderCounts

    public struct OrderCounts: Codable, Sendable, Equatable {
        public var reserved: Int
        public var paid: Int
    }
}

struct FaultsRequest: Decodable {
    /// Milliseconds of delay per route (products, product, cart, order, pay); 0 removes it.
    var delays: [String: Int]?
    /// Stall every request for this many milliseconds from now.
    var stall_ms: Int?
    /// Fail every request (500) from now on.
    var fail: Bool?
    var clear: Bool?
}

struct ResetRequest: Decodable {
    /// Units per SKU after the reset; SKUs not in the catalog are added (as flash-sale items at 1 yuan).
    var stock: [String: Int]?
}

struct Message: ResponseEncodable {
    var message: String
}
