import CNghttp2
import NIOHTTP1

/// A request's header list in the form nghttp2 takes (`nghttp2_nv`), built once and kept alive for as long as
/// any stream that uses it: names and values live in one allocation and are handed over with the NO_COPY flags,
/// so a request sent a million times (the benchmark) is laid out once and never copied by the codec.
final class HeaderBlock: @unchecked Sendable {
    // Immutable after init, so sharing across threads is safe.
    private let bytes: UnsafeMutableRawBufferPointer
    let fields: UnsafeMutableBufferPointer<nghttp2_nv>

    /// Headers HTTP/2 forbids (RFC 9113 §8.2.2); `host` becomes `:authority`.
    private static let connectionSpecific: Set<String> = [
        "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "host",
    ]

    init(method: String, scheme: String, authority: String, path: String, headers: HTTPHeaders) {
        var pairs: [(String, String)] = [
            (":method", method), (":scheme", scheme), (":authority", authority),
            (":path", path.isEmpty ? "/" : path),
        ]
        for (name, value) in headers {
            let lower = name.lowercased()
            guard !Self.connectionSpecific.contains(lower) else { continue }
            if lower == "te" && value.lowercased() != "trailers" { continue }
            pairs.append((lower, value))
        }
        let total = pairs.reduce(0) { $0 + $1.0.utf8.count + $1.1.utf8.count }
        bytes = .allocate(byteCount: max(total, 1), alignment: 1)
        fields = .allocate(capacity: pairs.count)
        var offset = 0
        let flags = UInt8(NGHTTP2_NV_FLAG_NO_COPY_NAME.rawValue | NGHTTP2_NV_FLAG_NO_COPY_VALUE.rawValue)
        for (index, (name, value)) in pairs.enumerated() {
            let namePointer = bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            offset += Self.copy(name, into: bytes, at: offset)
            let valuePointer = bytes.baseAddress!.advanced(by: offset).assumingMemoryBound(to: UInt8.self)
            offset += Self.copy(value, into: bytes, at: offset)
            fields[index] = nghttp2_nv(
                name: namePointer, value: valuePointer, namelen: name.utf8.count, valuelen: value.utf8.count,
                flags: flags)
        }
    }

    /// The fields as text, in order (for tests and diagnostics).
    var pairs: [String] {
        fields.map { field in
            let name = String(decoding: UnsafeBufferPointer(start: field.name, count: field.namelen), as: UTF8.self)
            let value = String(decoding: UnsafeBufferPointer(start: field.value, count: field.valuelen), as: UTF8.self)
            return "\(name)=\(value)"
        }
    }

    deinit {
        bytes.deallocate()
        fields.deallocate()
    }

    private static func copy(_ text: String, into bytes: UnsafeMutableRawBufferPointer, at offset: Int) -> Int {
        var count = 0
        for byte in text.utf8 {
            bytes[offset + count] = byte
            count += 1
        }
        return count
    }
}
