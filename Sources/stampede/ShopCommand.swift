public import ArgumentParser
import Foundation
import Hummingbird
import Logging
import StampedeShop

struct ShopCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "shop", abstract: "Run the reference checkout shop on its own.")

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one).") var port = 8080
    @Option(help: "Stock keeping: atomic or racy (oversells).") var inventory: InventoryMode = .atomic
    @Option(help: "Number of products.") var skus = 20
    @Option(help: "Units of stock per product.") var stock = 1_000_000
    @Option(help: "Answer 429 beyond this many requests in progress.") var maxInFlight: Int?
    @Option(help: "Write the bound port to this file once listening.") var portFile: String?

    func run() async throws {
        let shop = ReferenceShop(
            configuration: ShopConfiguration(
                host: host, port: port, inventory: inventory, catalog: Product.defaultCatalog(count: skus, stock: stock),
                maxInFlight: maxInFlight))
        var logger = Logger(label: "stampede.shop")
        logger.logLevel = .warning
        let portFile = self.portFile
        let inventory = self.inventory
        let app = shop.application(logger: logger) { port in
            print("reference shop listening on http://\(shop.configuration.host):\(port) (inventory \(inventory.rawValue))")
            if let portFile { try? "\(port)\n".write(toFile: portFile, atomically: true, encoding: .utf8) }
        }
        try await app.runService()
    }
}

extension InventoryMode: ExpressibleByArgument {}
