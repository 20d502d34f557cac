import NIOCore
import StampedeCompression
import StampedeCore
import StampedeHTTP

/// A response body as a step reads it: inflated when the target compressed it (`Content-Encoding: gzip` or
/// `deflate`, which a scenario asks for with `Accept-Encoding`, as browsers do). Inflated only when something
/// reads it (an extraction, `body_contains`, a ledger or payment rule, an error's sample): a body nobody reads
/// costs nothing more.
enum ContentCoding {
    /// The most a body may inflate to: a small body can inflate to gigabytes.
    static let limit = 16 << 20

    struct Failure: Error {
        var reason: String
    }

    /// The body inflated, or as it came when it has no coding (or `identity`).
    static func body(of response: HTTPResponse) -> Result<ByteBuffer, Failure> {
        guard response.body.readableBytes > 0, let header = response.headers.first(name: "content-encoding") else {
            return .success(response.body)
        }
        let codings = header.split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
            .filter { $0 != "identity" }
        guard let coding = codings.first else { return .success(response.body) }
        let format: GzipInflater.Format
        switch coding {
        case "gzip", "x-gzip": format = .gzip
        case "deflate": format = .gzipOrZlib
        default:
            return .failure(
                Failure(
                    reason: "its body is \(header)-encoded, which Stampede does not decode: ask for gzip "
                        + "(Accept-Encoding: gzip), or leave Accept-Encoding out"))
        }
        guard codings.count == 1 else {
            return .failure(Failure(reason: "its body is encoded twice (\(header)); Stampede decodes one gzip"))
        }
        do {
            let bytes = response.body.readableBytesView
            let inflated = try GzipInflater.inflate(ArraySlice(bytes), format: format, limit: limit)
            guard let inflated else {
                return .failure(Failure(reason: "its \(coding) body inflates past \(limit >> 20) MiB"))
            }
            return .success(ByteBuffer(bytes: inflated))
        } catch {
            return .failure(Failure(reason: "its \(coding) body cannot be inflated: \(error.reason)"))
        }
    }
}
