import Synchronization

/// Stock per SKU: available, reserved by unpaid orders, and sold. The books the harness reconciles against.
public final class Inventory: Sendable {
    public struct Item: Codable, Sendable, Equatable {
        public var sku: String
        public var initial: Int
        /// Units the shop believes it can still sell.
        public var stock: Int
        public var reserved: Int
        public var sold: Int
    }

    public enum ReserveResult: Sendable, Equatable {
        case reserved
        case soldOut
        case unknownSKU
    }

    public let mode: InventoryMode
    private let racyPause: Duration
    private let items: Mutex<[String: Item]>
    private let catalog: [Product]

    public init(catalog: [Product], mode: InventoryMode, racyPause: Duration = .milliseconds(2)) {
        self.mode = mode
        self.racyPause = racyPause
        self.catalog = catalog
        self.items = Mutex(Self.fresh(catalog))
    }

    private static func fresh(_ catalog: [Product]) -> [String: Item] {
        Dictionary(uniqueKeysWithValues: catalog.map {
            ($0.sku, Item(sku: $0.sku, initial: $0.stock, stock: $0.stock, reserved: 0, sold: 0))
        })
    }

    /// Takes `quantity` units of `sku` for an order.
    public func reserve(sku: String, quantity: Int) async -> ReserveResult {
        switch mode {
        case .atomic:
            return items.withLock { items in
                guard var item = items[sku] else { return .unknownSKU }
                guard item.stock >= quantity else { return .soldOut }
                item.stock -= quantity
                item.reserved += quantity
                items[sku] = item
                return .reserved
            }
        case .racy:
            // The classic bug: the check and the write are separate steps with an await between them.
            guard let seen = items.withLock({ $0[sku]?.stock }) else { return .unknownSKU }
            guard seen >= quantity else { return .soldOut }
            try? await Task.sleep(for: racyPause)
            items.withLock { items in
                items[sku]!.stock = seen - quantity
                items[sku]!.reserved += quantity
            }
            return .reserved
        }
    }

    /// An order was paid: its units move from reserved to sold.
    public func sell(sku: String, quantity: Int) {
        items.withLock { items in
            items[sku]?.reserved -= quantity
            items[sku]?.sold += quantity
        }
    }

    /// An unpaid order was cancelled: its units go back on sale.
    public func release(sku: String, quantity: Int) {
        items.withLock { items in
            items[sku]?.reserved -= quantity
            items[sku]?.stock += quantity
        }
    }

    public func available(sku: String) -> Int? { items.withLock { $0[sku]?.stock } }

    /// The books, ordered by SKU.
    public func snapshot() -> [Item] {
        items.withLock { $0.values.sorted { $0.sku < $1.sku } }
    }

    public func reset() {
        items.withLock { $0 = Self.fresh(catalog) }
    }
}
