import Logging
import PostgresNIO
public import ServiceLifecycle
public import StampedeCore

/// Stock in a PostgreSQL table (`stampede_inventory`), with the same deliberate modes as memory: `atomic` is a
/// conditional decrement (`UPDATE … SET stock = stock - q WHERE sku = $1 AND stock >= q`), `racy` reads, pauses and
/// writes back in a separate statement, `leaky` never gets lapsed units back (the shop does not release them),
/// `phantom` writes nothing. It is a service: its connection pool runs while the shop runs.
public final class PostgresInventory: InventoryStore, Service {
    public let mode: InventoryMode
    private let racyPause: Duration
    private let client: PostgresClient

    public init(url: DatabaseURL, mode: InventoryMode, racyPause: Duration = .milliseconds(2)) {
        self.mode = mode
        self.racyPause = racyPause
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
            tls: .disable)
        configuration.options.maximumConnections = 32
        self.client = PostgresClient(configuration: configuration)
    }

    public func run() async throws {
        await client.run()
    }

    private func prepareTable() async throws {
        try await client.query(
            """
            CREATE TABLE IF NOT EXISTS stampede_inventory (
                sku text PRIMARY KEY, initial integer NOT NULL, stock integer NOT NULL,
                reserved integer NOT NULL DEFAULT 0, sold integer NOT NULL DEFAULT 0,
                released integer NOT NULL DEFAULT 0)
            """)
        try await client.query(
            "ALTER TABLE stampede_inventory ADD COLUMN IF NOT EXISTS released integer NOT NULL DEFAULT 0")
    }

    public func reserve(sku: String, quantity: Int) async throws -> ReserveResult {
        switch mode {
        case .atomic, .leaky:
            let rows = try await client.query(
                """
                UPDATE stampede_inventory SET stock = stock - \(quantity), reserved = reserved + \(quantity)
                WHERE sku = \(sku) AND stock >= \(quantity) RETURNING stock
                """)
            for try await _ in rows { return .reserved }
            return try await available(sku: sku) == nil ? .unknownSKU : .soldOut
        case .racy:
            guard let seen = try await available(sku: sku) else { return .unknownSKU }
            guard seen >= quantity else { return .soldOut }
            try? await Task.sleep(for: racyPause)
            try await client.query(
                """
                UPDATE stampede_inventory SET stock = \(seen - quantity), reserved = reserved + \(quantity)
                WHERE sku = \(sku)
                """)
            return .reserved
        case .phantom:
            return try await available(sku: sku) == nil ? .unknownSKU : .reserved
        }
    }

    public func sell(sku: String, quantity: Int) async throws {
        guard mode != .phantom else { return }
        try await client.query(
            """
            UPDATE stampede_inventory SET reserved = reserved - \(quantity), sold = sold + \(quantity) WHERE sku = \(sku)
            """)
    }

    public func release(sku: String, quantity: Int) async throws {
        guard mode != .phantom else { return }
        try await client.query(
            """
            UPDATE stampede_inventory
            SET reserved = reserved - \(quantity), stock = stock + \(quantity), released = released + \(quantity)
            WHERE sku = \(sku)
            """)
    }

    public func available(sku: String) async throws -> Int? {
        let rows = try await client.query("SELECT stock FROM stampede_inventory WHERE sku = \(sku)")
        for try await stock in rows.decode(Int.self) { return stock }
        return nil
    }

    public func snapshot() async throws -> [StockItem] {
        let rows = try await client.query(
            "SELECT sku, initial, stock, reserved, sold, released FROM stampede_inventory ORDER BY sku")
        var items: [StockItem] = []
        for try await (sku, initial, stock, reserved, sold, released)
            in rows.decode((String, Int, Int, Int, Int, Int).self)
        {
            items.append(
                StockItem(sku: sku, initial: initial, stock: stock, reserved: reserved, sold: sold, released: released))
        }
        return items
    }

    public func reset(catalog: [Product]) async throws {
        try await prepareTable()
        try await client.query("DELETE FROM stampede_inventory")
        for product in catalog {
            try await client.query(
                """
                INSERT INTO stampede_inventory (sku, initial, stock) VALUES (\(product.sku), \(product.stock), \(product.stock))
                """)
        }
    }
}
