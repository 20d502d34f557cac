import NIOCore
import PostgresNIO
public import StampedeCore
public import StampedeHTTP

/// Reads the target's books for the oversell verdict, once per call: over HTTP (a JSON endpoint) or SQL (a
/// PostgreSQL query). A reading that fails says why; the coordinator keeps the first problem and the verdict
/// says "unverified". Use it through ``withBooksReader(_:origin:client:environment:_:)``, which keeps the
/// database's connection pool going for as long as the reader is in use.
public struct BooksReader: Sendable {
    public let spec: GroundTruthSpec
    private let origin: Origin
    private let client: HTTPClient
    private let postgres: PostgresClient?
    /// Why the database cannot be reached, when the books are in SQL and its URL is missing or wrong.
    private let databaseProblem: String?

    fileprivate init(
        spec: GroundTruthSpec, origin: Origin, client: HTTPClient, postgres: PostgresClient?, databaseProblem: String?
    ) {
        self.spec = spec
        self.origin = origin
        self.client = client
        self.postgres = postgres
        self.databaseProblem = databaseProblem
    }

    /// One reading of the books, labelled with the run second it stands for.
    public func read(second: Double) async -> Result<InventoryBooks, GroundTruthError> {
        switch spec.source {
        case .http(let url, let items, let sku, let stock, let sold, let reserved, let released):
            await readHTTP(url: url, second: second) { body in
                InventoryBooks.parse(
                    json: body, items: items, sku: sku, stock: stock, sold: sold, reserved: reserved,
                    released: released,
                    second: second)
            }
        case .sql(_, let query):
            await readSQL(query: query, second: second)
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

    private func readSQL(query: String, second: Double) async -> Result<InventoryBooks, GroundTruthError> {
        guard let postgres else { return .failure(GroundTruthError(databaseProblem ?? "no database")) }
        do {
            let rows = try await withThrowingTaskGroup(of: [PostgresRow].self) { group in
                group.addTask {
                    var collected: [PostgresRow] = []
                    for try await row in try await postgres.query(PostgresQuery(unsafeSQL: query)) {
                        collected.append(row)
                    }
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
                    return .failure(
                        GroundTruthError("the books query must return sku, stock, sold[, reserved[, released]]"))
                }
                let sku = try columns[0].decode(String.self)
                let stock = try columns[1].decode(Int.self)
                let sold = try columns[2].decode(Int.self)
                let reserved = columns.count > 3 ? try columns[3].decode(Int?.self) : nil
                let released = columns.count > 4 ? try columns[4].decode(Int?.self) : nil
                items[sku] = BookEntry(stock: stock, sold: sold, reserved: reserved, released: released)
            }
            return .success(InventoryBooks(second: second, items: items))
        } catch let error as GroundTruthError {
            return .failure(error)
        } catch let error as PSQLError {
            return .failure(GroundTruthError("the books query failed: \(Self.describe(error))"))
        } catch {
            // Never the URL (it may hold a password).
            return .failure(GroundTruthError("the books query failed: \(String(describing: error).prefix(300))"))
        }
    }

    /// Runs a setup statement against the books' database (a stock reset), within 10 s.
    public func execute(sql: String) async throws(VerifyError) {
        guard let postgres else { throw VerifyError(databaseProblem ?? "the scenario's books are not in a database") }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for try await _ in try await postgres.query(PostgresQuery(unsafeSQL: sql)) {}
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(10))
                    throw VerifyError("the statement did not finish within 10 s")
                }
                try await group.next()
                group.cancelAll()
            }
        } catch let error as VerifyError {
            throw error
        } catch let error as PSQLError {
            throw VerifyError(Self.describe(error))
        } catch {
            throw VerifyError(String(describing: error).prefix(300).description)
        }
    }

    /// PostgreSQL's own message, its SQLSTATE code and where in the query, or what went wrong on the way to it.
    static func describe(_ error: PSQLError) -> String {
        guard let info = error.serverInfo, let message = info[.message] else {
            return "\(error.code) (the database could not be reached, or the connection broke)"
        }
        var text = message
        var facts: [String] = []
        if let state = info[.sqlState] { facts.append("SQLSTATE \(state)") }
        if let position = info[.position] { facts.append("at character \(position) of the query") }
        if !facts.isEmpty { text += " (" + facts.joined(separator: ", ") + ")" }
        if let detail = info[.detail] { text += "; \(detail)" }
        if let hint = info[.hint] { text += "; hint: \(hint)" }
        return text
    }
}

/// Runs `body` with a reader of the books `spec` names (nil when the scenario names none). When the books are
/// in SQL, the database URL is read from `environment` (never printed) and the connection pool runs for as long
/// as `body` does.
public func withBooksReader<Result: Sendable>(
    _ spec: GroundTruthSpec?, origin: Origin, client: HTTPClient, environment: [String: String],
    _ body: @Sendable (BooksReader?) async throws -> Result
) async throws -> Result {
    guard let spec else { return try await body(nil) }
    guard case .sql(let variable, _) = spec.source else {
        return try await body(
            BooksReader(spec: spec, origin: origin, client: client, postgres: nil, databaseProblem: nil))
    }
    guard let text = environment[variable] else {
        let problem = "the environment variable \(variable) (the books' database URL) is not set"
        return try await body(
            BooksReader(spec: spec, origin: origin, client: client, postgres: nil, databaseProblem: problem))
    }
    guard let url = DatabaseURL(text) else {
        let problem = "\(variable) does not hold a postgres:// URL"
        return try await body(
            BooksReader(spec: spec, origin: origin, client: client, postgres: nil, databaseProblem: problem))
    }
    var configuration = PostgresClient.Configuration(
        host: url.host, port: url.port, username: url.user, password: url.password, database: url.database,
        tls: .disable)
    configuration.options.connectTimeout = .seconds(3)
    let postgres = PostgresClient(configuration: configuration)
    return try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { await postgres.run() }
        defer { group.cancelAll() }
        return try await body(
            BooksReader(spec: spec, origin: origin, client: client, postgres: postgres, databaseProblem: nil))
    }
}
