import NIOCore
import NIOHTTP1
public import StampedeCore
public import StampedeHTTP

/// Sends the scenario's `setup` requests once, before the run (for example a stock reset). A failed setup stops
/// the run before any load.
public enum TargetSetup {
    public static func run(_ steps: [Step], origin: Origin, client: HTTPClient) async throws(VerifyError) {
        for step in steps {
            let variables = ["shopper": "setup", "flow": "setup"]
            let (target, missing) = step.path.render(escaping: .url) { variables[$0] }
            if let missing { throw VerifyError("setup step \(step.name): unknown variable \(missing)") }
            var headers = HTTPHeaders()
            for header in step.headers {
                headers.add(name: header.name, value: header.value.render { variables[$0] }.text)
            }
            var body: ByteBuffer? = nil
            if let template = step.body {
                body = ByteBuffer(string: template.render { variables[$0] }.text)
                if let contentType = step.contentType { headers.replaceOrAdd(name: "content-type", value: contentType) }
            }
            let response: HTTPResponse
            do {
                response = try await client.execute(
                    HTTPRequest(
                        method: HTTPMethod(rawValue: step.method), target: target, headers: headers, body: body),
                    to: origin, timeout: .seconds(10))
            } catch {
                throw VerifyError("setup step \(step.name) (\(step.method) \(target)) failed: \(error)")
            }
            guard step.expect.verdict(status: response.status, body: response.body.readableBytesView) == .ok else {
                throw VerifyError("setup step \(step.name) (\(step.method) \(target)) answered \(response.status)")
            }
        }
    }
}
