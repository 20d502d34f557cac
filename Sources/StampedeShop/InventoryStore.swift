/// Where the shop keeps stock: in memory or in PostgreSQL, each with the deliberate modes of ``InventoryMode``.
public protocol InventoryStore: Sendable {
    var mode: InventoryMode { get }
    /// Takes `quantity` units of `sku` for an order.
    func reserve(sku: String, quantity: Int) async throws -> ReserveResult
    /// An order was paid: its units move from reserved to sold.
    func sell(sku: String, quantity: Int) async throws
    /// An unpaid order lapsed: its units go back on sale.
    func release(sku: String, quantity: Int) async throws
    func available(sku: String) async throws -> Int?
    /// The books, ordered by SKU.
    func snapshot() async throws -> [StockItem]
    /// Starts again from this catalog.
    func reset(catalog: [Product]) async throws
}

public enum ReserveResult: Sendable, Equatable {
    case reserved
    case soldOut
    case unknownSKU
}

/// One SKU in the shop's books.
public struct StockItem: Codable, Sendable, Equatable {
    public var sku: String
    public var initial: Int
    /// Units the shop believes it can still sell.
    public var stock: Int
    /// Units held by unpaid orders.
    public var reserved: Int
    /// Units paid for.
    public var sold: Int
    /// Units given back so far by orders that lapsed unpaid (they went back on sale).
    public var released: Int

    public init(sku: String, initial: Int, stock: Int, reserved: Int, sold: Int, released: Int = 0) {
        self.sku = sku
        self.initial = initial
        self.stock = stock
        self.reserved = reserved
        self.sold = sold
        self.released = released
    }
}
