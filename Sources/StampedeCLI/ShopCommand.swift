public import ArgumentParser
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import StampedeConfig
import StampedeCore
import StampedeHTTP
import StampedeProcess
import StampedeShop
import Synchronization
import UnixSignals

public struct ShopCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "shop", abstract: "Run the reference checkout shop on its own.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one).", transform: CommandLineNumbers.port) var port = 8080
    @Option(
        help:
            "Stock keeping: atomic, racy (oversells), leaky (never releases unpaid orders) or phantom (confirms without writing)."
    )
    var inventory: InventoryMode = .atomic
    @Option(help: "Where stock is kept: memory, or a postgres://user:password@host:port/database URL.")
    var store = "memory"
    @Option(help: "Unpaid orders give their units back after this long (not in leaky mode).") var reservationHold =
        "60s"
    @Option(help: "A flash-sale item: SKU:STOCK (repeatable).") var flash: [String] = []
    @Option(
        help:
            "A payment channel NAME=URL (repeatable; the first is primary). Without any, orders are paid without a charge."
    )
    var payment: [String] = []
    @Option(help: "Payment failover: safe, naive, none or optimistic (safe unless told; with --payment).")
    var paymentMode: PaymentMode?
    @Option(help: "How long a charge may take before the shop gives up on it (500ms unless told; with --payment).")
    var paymentTimeout: String?
    @Option(help: "Number of products.") var skus = 20
    @Option(help: "Units of stock per product.") var stock = 1_000_000
    @Option(help: "Answer 429 beyond this many requests in progress.") var maxInFlight: Int?
    @Option(help: "Write the bound port to this file once listening.") var portFile: String?
    @Option(help: "Serve HTTPS (HTTP/2 and HTTP/1.1 by ALPN) with this PEM certificate chain; needs --tls-key.")
    var tlsCertificate: String?
    @Option(help: "The PEM private key of --tls-certificate.") var tlsKey: String?
    @Option(help: "On exit, write every request received (monotonic ns, worker, shopper, method, path) to this file.")
    var requestLog: String?
    @Option(
        help: ArgumentHelp(
            "Delay every request to a route: ROUTE:DURATION such as product:20ms (repeatable; routes products, product, cart, order, pay)."
        ))
    var delay: [String] = []
    @Option(help: "Fail every request (500) from this long after the shop starts, such as 30s.") var failAfter: String?
    @Flag(
        help:
            "Also serve the storefront: HTML pages with a CSRF-protected login, and its REST API (docs/scenarios.md).")
    var storefront = false
    @Option(
        help:
            "The storefront's accounts: a CSV with email and password columns (default: shopper<N>@storefront.test / secret-<N>, N up to 100000)."
    )
    var accounts: String?

    public init() {}

    /// A CSV of accounts: a header naming `email` (or `username`) and `password` columns.
    static func readAccounts(_ path: String) throws -> StorefrontState.Accounts {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure(.usage, "--accounts: cannot read \(path)")
        }
        let columns: [String]
        let rows: [[String]]
        do {
            (columns, rows) = try FeederFile.csv(String(decoding: data, as: UTF8.self))
        } catch {
            throw CommandFailure(.usage, "--accounts: \(path), \(error.description)")
        }
        guard let email = columns.firstIndex(of: "email") ?? columns.firstIndex(of: "username"),
            let password = columns.firstIndex(of: "password")
        else {
            throw CommandFailure(.usage, "--accounts: \(path) needs email and password columns, found \(columns)")
        }
        return .list(Dictionary(rows.map { ($0[email], $0[password]) }, uniquingKeysWith: { _, last in last }))
    }

    public func run() async throws {
        try await failing("stampede shop", Self.self) { try await work() }
    }

    public func validate() throws {
        _ = try configuration()
        try OutputFile.check(portFile, option: "--port-file")
        try OutputFile.check(requestLog, option: "--request-log")
    }

    /// The shop the options describe, checked while the command line is parsed (the accounts file is read later).
    private func configuration() throws -> ShopConfiguration {
        // `--skus 9e18` trapped allocating the catalog; a negative stock was taken as it was.
        try CommandLineNumbers.check(skus, 1...1_000_000, option: "--skus")
        try CommandLineNumbers.check(stock, 0...Int(Int32.max), option: "--stock")
        if let maxInFlight { try CommandLineNumbers.check(maxInFlight, 1...10_000_000, option: "--max-in-flight") }
        var catalog = Product.defaultCatalog(count: skus, stock: stock)
        for (index, item) in flash.enumerated() {
            let parts = item.split(separator: ":")
            guard parts.count == 2, let units = Int(parts[1]), units >= 0 else {
                throw ValidationError("--flash: expected SKU:STOCK such as FLASH-PHONE:100, found \"\(item)\"")
            }
            let sku = String(parts[0])
            // A second product of one SKU: which stock the shop sold from, and which the books showed, was chance.
            if catalog.contains(where: { $0.sku == sku }) {
                let earlier = flash[..<index].first { $0.split(separator: ":").first.map(String.init) == sku }
                throw ValidationError(
                    "--flash \(item): "
                        + (earlier.map { "\(sku) is --flash \($0) too" }
                            ?? "\(sku) is one of the catalog's products (SKU-0001 to \(catalog[skus - 1].sku))")
                        + ": give each flash item a SKU of its own")
            }
            catalog.append(Product(sku: sku, name: "Flash sale \(sku)", price: 100, stock: units))
        }
        let storage: ShopConfiguration.Store
        if store == "memory" {
            storage = .memory
        } else if let url = DatabaseURL(store) {
            storage = .postgres(url)
        } else {
            throw ValidationError("--store: expected memory or postgres://user:password@host:port/database")
        }
        let hold = try CommandLineNumbers.seconds(reservationHold, option: "--reservation-hold", example: "60s")
        var payments: PaymentSettings? = nil
        if !payment.isEmpty {
            var channels: [PaymentSettings.Channel] = []
            for entry in payment {
                let parts = entry.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, let origin = Origin(exactly: String(parts[1])) else {
                    throw ValidationError(
                        "--payment: expected NAME=ORIGIN such as alipay=http://127.0.0.1:9001 (scheme, host and "
                            + "port), found \"\(entry)\"")
                }
                let name = String(parts[0])
                if let earlier = channels.first(where: { $0.name == name }) {
                    throw ValidationError(
                        "--payment \(entry): the name \(name) is also --payment \(name)=\(earlier.origin)'s (the shop's "
                            + "orders name the channel that charged them)")
                }
                channels.append(PaymentSettings.Channel(name: name, origin: origin))
            }
            let timeout = try CommandLineNumbers.seconds(
                paymentTimeout ?? "500ms", option: "--payment-timeout", example: "500ms")
            payments = PaymentSettings(
                channels: channels, mode: paymentMode ?? .safe, timeout: .seconds(double: timeout))
        } else if paymentMode != nil || paymentTimeout != nil {
            // Without channels the shop marks orders paid without a charge: a failover mode would change nothing.
            throw ValidationError(
                "\(paymentMode != nil ? "--payment-mode" : "--payment-timeout") acts on the payment channels, and "
                    + "there are none: give them with --payment NAME=URL (docs/payments.md)")
        }
        try TLSFileOptions.checkPair(
            certificate: tlsCertificate, key: tlsKey, options: ("--tls-certificate", "--tls-key"))
        var tls: ShopConfiguration.TLSFiles? = nil
        if let tlsCertificate, let tlsKey { tls = .init(certificate: tlsCertificate, key: tlsKey) }
        var faults = ShopFaults.Settings()
        for entry in delay {
            let parts = entry.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, let route = ShopFaults.Route(rawValue: String(parts[0])),
                let seconds = Units.seconds(String(parts[1])), seconds >= 0
            else {
                throw ValidationError("--delay: expected ROUTE:DURATION such as product:20ms, found \"\(entry)\"")
            }
            faults.delays[route] = .seconds(double: seconds)
        }
        if let failAfter {
            let seconds = try CommandLineNumbers.seconds(
                failAfter, option: "--fail-after", example: "30s", zero: "to fail from the start")
            faults.failAfter = .seconds(double: seconds)
        }
        var shopConfiguration = ShopConfiguration(
            host: host, port: port, inventory: inventory, catalog: catalog, maxInFlight: maxInFlight,
            reservationHold: .seconds(double: hold), store: storage, payments: payments, tls: tls)
        shopConfiguration.faults = faults
        return shopConfiguration
    }

    private func work() async throws {
        var shopConfiguration = try configuration()
        let storage = shopConfiguration.store
        if storefront || accounts != nil {
            shopConfiguration.storefront = try accounts.map(Self.readAccounts) ?? .generated(count: 100_000)
        }
        try ListeningPort.check(host: host, port: port, option: "--host, --port")
        let shop = try ReferenceShop(configuration: shopConfiguration)
        let usesDatabase = storage != .memory
        var logger = Logger(label: "stampede.shop")
        logger.logLevel = .warning
        let portFile = self.portFile
        let inventory = self.inventory
        let scheme = shopConfiguration.tls == nil ? "http" : "https"
        let app = try shop.application(logger: logger) { port in
            // A database store starts from the catalog (its connection pool runs once the shop does).
            if usesDatabase {
                do { try await shop.reset() } catch { print("reference shop: cannot set up the database: \(error)") }
            }
            print(
                "reference shop listening on \(scheme)://\(shop.configuration.host):\(port) (inventory \(inventory.rawValue))"
            )
            // Checked before listening; should it fail now, a script waiting for the file would wait for ever.
            if let portFile {
                do {
                    try OutputFile.write("\(port)\n", to: portFile, option: "--port-file")
                } catch {
                    printError("stampede shop: \(error)")
                    Foundation.exit(ExitStatus.internalError.rawValue)
                }
            }
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: app)]
        if let requestLog {
            services.append(.init(service: RequestLogWriter(log: shop.requests, path: requestLog)))
        }
        var configuration = ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigint, .sigterm], logger: logger)
        // Connections that cannot close (a cut link) must not hold the shop up for ever.
        configuration.maximumGracefulShutdownDuration = .seconds(3)
        configuration.maximumCancellationDuration = .seconds(2)
        try await ServiceGroup(configuration: configuration).run()
    }
}

/// Appends the shop's request log to a file twice a second (and at the end), so a crash loses at most half a
/// second of it. Lines: monotonic ns, worker, shopper, method, path.
struct RequestLogWriter: Service {
    let log: RequestLog
    let path: String

    func run() async throws {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let file = FileHandle(forWritingAtPath: path) else {
            throw CommandFailure(.usage, "--request-log: cannot write \(path)")
        }
        defer { try? file.close() }
        let written = Mutex(0)
        @Sendable func flush() throws {
            let (entries, total) = log.entries(after: written.withLock { $0 })
            written.withLock { $0 = total }
            guard !entries.isEmpty else { return }
            let text = entries.map { entry in
                "\(entry.nanos) \(entry.worker ?? "-") \(entry.shopper.map(String.init) ?? "-") \(entry.method) \(entry.path)\n"
            }.joined()
            try file.write(contentsOf: Data(text.utf8))
        }
        // Written in batches every half second, and once more when the shop shuts down.
        try? await cancelWhenGracefulShutdown {
            while true {
                try await Task.sleep(for: .milliseconds(500))
                try flush()
            }
        }
        try flush()
    }
}

extension InventoryMode: ExpressibleByArgument {}
extension PaymentMode: ExpressibleByArgument {}
