public import StampedeCore

/// How the reference shop behaves: its catalog, how it keeps stock, and the faults it is told to show.
public struct ShopConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    public var inventory: InventoryMode
    public var catalog: [Product]
    /// Beyond this many requests in progress the shop answers 429 (rate limiting); nil for no limit.
    public var maxInFlight: Int?
    /// In `racy` mode, the pause between reading the stock and writing it back.
    public var racyPause: Duration
    /// Unpaid orders give their units back after this long (except in `leaky` mode).
    public var reservationHold: Duration
    /// Where stock is kept.
    public var store: Store
    /// The payment channels and how to fail over between them; nil: orders are marked paid without a charge.
    public var payments: PaymentSettings?
    /// Serve HTTPS with HTTP/2 (ALPN h2, falling back to http/1.1) from this certificate and key; nil: plain HTTP/1.1.
    public var tls: TLSFiles?
    /// Faults the shop starts with (`stampede shop --delay`, `--fail-after`): a reset or a cleared fault comes back
    /// to these, not to none.
    public var faults: ShopFaults.Settings = ShopFaults.Settings()
    /// Serve the storefront (HTML pages with a CSRF-protected login, and its REST API) with these accounts.
    public var storefront: StorefrontState.Accounts? = nil

    /// A PEM certificate chain and its private key.
    public struct TLSFiles: Sendable, Equatable {
        public var certificate: String
        public var key: String

        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    public enum Store: Sendable, Equatable {
        case memory
        /// A PostgreSQL database (its URL; the tables are created if missing).
        case postgres(DatabaseURL)
    }

    public init(
        host: String = "127.0.0.1", port: Int = 8080, inventory: InventoryMode = .atomic,
        catalog: [Product] = Product.defaultCatalog(), maxInFlight: Int? = nil, racyPause: Duration = .milliseconds(2),
        reservationHold: Duration = .seconds(60), store: Store = .memory, payments: PaymentSettings? = nil,
        tls: TLSFiles? = nil
    ) {
        self.tls = tls
        self.host = host
        self.port = port
        self.inventory = inventory
        self.catalog = catalog
        self.maxInFlight = maxInFlight
        self.racyPause = racyPause
        self.reservationHold = reservationHold
        self.store = store
        self.payments = payments
    }
}

/// How the shop takes stock when an order is placed.
public enum InventoryMode: String, Sendable, CaseIterable {
    /// Check and decrement in one step: never oversells.
    case atomic
    /// Read the stock, pause, then write back what was read minus the order: concurrent orders all see the same
    /// stock, and the shop confirms more than it has.
    case racy
    /// Like atomic, but unpaid orders never give their units back: the shop says "sold out" with units unsold.
    case leaky
    /// Answers "201 created" without taking any stock or recording the order: confirmations the books never saw.
    case phantom
}

public struct Product: Codable, Sendable, Equatable {
    public var sku: String
    public var name: String
    /// Price in cents.
    public var price: Int
    public var stock: Int

    public init(sku: String, name: String, price: Int, stock: Int) {
        self.sku = sku
        self.name = name
        self.price = price
        self.stock = stock
    }

    /// SKU-0001 … SKU-00NN, each with `stock` units.
    public static func defaultCatalog(count: Int = 20, stock: Int = 1_000_000) -> [Product] {
        (1...max(1, count)).map { index in
            let number = String(index)
            let sku = "SKU-" + String(repeating: "0", count: max(0, 4 - number.count)) + number
            return Product(sku: sku, name: "Festival item \(index)", price: 1_000 + index * 250, stock: stock)
        }
    }
}
