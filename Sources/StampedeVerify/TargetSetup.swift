import NIOCore
import NIOHTTP1
public import StampedeCore
public import StampedeHTTP

/// Sends the scenario's `setup` requests (or runs its SQL statements against the books' database) once, before the
/// run: a stock reset, test accounts. A failed setup stops the run before any load.
public enum TargetSetup {
    public static func run(
        _ steps: [Step], origin: Origin, client: HTTPClient, books: BooksReader?
    ) async throws(VerifyError) {
        let variables: Variables = ["shopper": .text("setup"), "flow": .text("setup")]
        let lookup: (String) -> VariableValue? = { variables[$0] }
        for step in steps {
            if let sql = step.sql {
                guard let books else { throw VerifyError("setup step \(step.name): sql needs the books' database") }
                do {
                    try await books.execute(sql: sql)
                } catch {
                    throw VerifyError("setup step \(step.name) (sql) failed: \(error.message)")
                }
                continue
            }
            let (rendered, problem) = step.path.render(escaping: .segment, leading: .path, lookup)
            if let problem { throw VerifyError("setup step \(step.name): \(problem)") }
            let url =
                rendered.hasPrefix("/") ? RequestURL(origin: origin, target: rendered) : RequestURL(absolute: rendered)
            guard let url else { throw VerifyError("setup step \(step.name): \"\(rendered)\" is not a path or URL") }
            var headers = HTTPHeaders()
            for header in step.headers {
                headers.add(name: header.name, value: header.value.render(lookup).text)
            }
            var body: ByteBuffer? = nil
            if let requestBody = step.body {
                body = ByteBuffer(string: requestBody.render(lookup).text)
                if let contentType = step.contentType ?? requestBody.contentType {
                    headers.replaceOrAdd(name: "content-type", value: contentType)
                }
            }
            let response: HTTPResponse
            do {
                response = try await client.execute(
                    HTTPRequest(
                        method: HTTPMethod(rawValue: step.method), target: url.target, headers: headers, body: body),
                    to: url.origin, timeout: .seconds(10))
            } catch {
                throw VerifyError("setup step \(step.name) (\(step.method) \(url)) failed: \(error)")
            }
            guard step.expect.verdict(status: response.status, body: response.body.readableBytesView) == .ok else {
                throw VerifyError("setup step \(step.name) (\(step.method) \(url)) answered \(response.status)")
            }
        }
    }
}
