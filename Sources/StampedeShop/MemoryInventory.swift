import Synchronization

/// Stock in memory.
public final class MemoryInventory: InventoryStore {
    public let mode: InventoryMode
    private let racyPause: Duration
    private let items: Mutex<[String: StockItem]>

    public init(catalog: [Product], mode: InventoryMode, racyPause: Duration = .milliseconds(2)) {
        self.mode = mode
        self.racyPause = racyPause
        self.items = Mutex(Self.fresh(catalog))
    }

    private static func fresh(_ catalog: [Product]) -> [String: StockItem] {
        Dictionary(
            catalog.map { ($0.sku, StockItem(sku: $0.sku, initial: $0.stock, stock: $0.stock, reserved: 0, sold: 0)) },
            uniquingKeysWith: { _, last in last })
    }

    public func reserve(sku: String, quantity: Int) async -> ReserveResult {
        switch mode {
        case .atomic, .leaky:
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
        case .phantom:
            // Says yes and writes nothing.
            return items.withLock { $0[sku] == nil ? .unknownSKU : .reserved }
        }
    }

    public func sell(sku: String, quantity: Int) {
        guard mode != .phantom else { return }
        items.withLock { items in
            items[sku]?.reserved -= quantity
            items[sku]?.sold += quantity
        }
    }

    public func release(sku: String, quantity: Int) {
        guard mode != .phantom else { return }
        items.withLock { items in
            items[sku]?.reserved -= quantity
            items[sku]?.stock += quantity
            items[sku]?.released += quantity
        }
    }

    public func available(sku: String) -> Int? { items.withLock { $0[sku]?.stock } }

    public func snapshot() -> [StockItem] {
        items.withLock { $0.values.sorted { $0.sku < $1.sku } }
    }

    public func reset(catalog: [Product]) {
        items.withLock { $0 = Self.fresh(catalog) }
    }
}
