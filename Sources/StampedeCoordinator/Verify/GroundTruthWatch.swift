import Foundation
import Logging
import NIOCore
import PostgresNIO
import StampedeCore
import StampedeHTTP

/// Reads the target's books for the oversell verdict: before the start, every few seconds during the run (the
/// inventory curve), and after the end. A reading that fails is never papered over: the first problem is kept,
/// and the verdict says "unverified".
actor GroundTruthWatch {
    let spec: GroundTruthSpec?
    private let origin: Origin
    private let client: HTTPClient
    private let postgres: PostgresClient?
    private var record = GroundTruthRecord()

    init(spec: GroundTruthSpec?, origin: Origin, client: HTTPClient) {
        self.spec = spec
        self.origin = origin
        self.client = client
        if case .sql(let variable, _)? = spec?.source,
            let text = ProcessInfo.processInfo.environment[variable], let url = DatabaseURL(text)
        {
            var configuration = PostgresClient.Configuration(
                host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
                tls: .disable)
            configuration.options.connectTimeout = .seconds(3)
            postgres = PostgresClient(configuration: configuration)
        } else {
            postgres = nil
        }
    }

    /// Keeps the database connection pool going (when the books are in SQL) until cancelled.
    nonisolated func run() async {
        await postgres?.run()
    }

    var hasSource: Bool { spec != nil }

    func readBefore(atSecond second: Double) async {
        guard spec != nil else { return }
        if let books = await read(second: second) { record.before = books }
    }

    func poll(atSecond second: Double) async {
        guard spec != nil else { return }
        _ = await read(second: second)
    }

    /// The final reading, after the target was given `settle` to finish what was in flight.
    func readAfter(atSecond second: Double) async -> GroundTruthRecord {
        guard let spec else { return record }
        if spec.settle > 0 { try? await Task.sleep(for: .seconds(double: spec.settle)) }
        if let books = await read(second: second + spec.settle) { record.after = books }
        if record.problem == nil, record.before == nil || record.after == nil {
            record.problem = "the books were not read before and after the run"
        }
        return record
    }

    private func read(second: Double) async -> InventoryBooks? {
        guard let spec else { return nil }
        let result: Result<InventoryBooks, GroundTruthError>
        switch spec.source {
        case .http(let url, let items, let sku, let stock, let sold, let reserved):
            result = await readHTTP(url: url, second: second) { body in
                InventoryBooks.parse(json: body, items: items, sku: sku, stock: stock, sold: sold, reserved: reserved,
                                     second: second)
            }
        case .sql(let variable, let query):
            result = await readSQL(variable: variable, query: query, second: second)
        }
        switch result {
        case .success(let books):
            record.readings.append(books)
            return books
        case .failure(let error):
            if record.problem == nil { record.problem = error.message }
            return nil
        }
    }

    private func readHTTP(
        url: String, second: Double, parse: ([UInt8]) -> Result<InventoryBooks, GroundTruthError>
    ) async -> Result<InventoryBooks, GroundTruthError> {
        guard let (destination, target) = TargetURL.resolve(url, target: origin) else {
            return .failure(GroundTruthError("the ground truth URL \(url) is not a URL"))
        }
        do {
            let response = try await client.execute(HTTPRequest(target: target), to: destination, timeout: .seconds(5))
            guard response.status == 200 else {
                return .failure(GroundTruthError("the ground truth at \(url) answered \(response.status)"))
            }
            return parse(Array(response.body.readableBytesView))
        } catch {
            return .failure(GroundTruthError("the ground truth at \(url) could not be read: \(error)"))
        }
    }

    private func readSQL(variable: String, query: String, second: Double) async -> Result<InventoryBooks, GroundTruthError> {
        guard let postgres else {
            return .failure(GroundTruthError(
                ProcessInfo.processInfo.environment[variable] == nil
                    ? "the environment variable \(variable) (the books' database URL) is not set"
                    : "\(variable) does not hold a postgres:// URL"))
        }
        do {
            let rows = try await withThrowingTaskGroup(of: [PostgresRow].self) { group in
                group.addTask {
                    var collected: [PostgresRow] = []
                    for try await row in try await postgres.query(PostgresQuery(unsafeSQL: query)) { collected.append(row) }
                    return collected
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(5))
                    throw GroundTruthError("the books query did not answer within 5 s")
                }
                let rows = try await group.next()!
                group.cancelAll()
                return rows
            }
            var items: [String: BookEntry] = [:]
            for row in rows {
                let columns = row.makeRandomAccess()
                guard columns.count >= 3 else {
                    return .failure(GroundTruthError("the books query must return sku, stock, sold[, reserved]"))
                }
                let sku = try columns[0].decode(String.self)
                let stock = try columns[1].decode(Int.self)
                let sold = try columns[2].decode(Int.self)
                let reserved = columns.count > 3 ? try columns[3].decode(Int?.self) : nil
                items[sku] = BookEntry(stock: stock, sold: sold, reserved: reserved)
            }
            return .success(InventoryBooks(second: second, items: items))
        } catch let error as GroundTruthError {
            return .failure(error)
        } catch {
            // The database's own message, never the URL (it may hold a password).
            return .failure(GroundTruthError("the books query failed: \(String(reflecting: error).prefix(300))"))
        }
    }
}
