import NIOCore
import NIOHTTP1

/// A request as the bytes HTTP/1.1 sends: request line, headers (with `host` and `content-length` as the request
/// needs them), blank line, body, in one buffer and one write. Written straight from the request: no request head
/// copied in between.
enum HTTP1RequestEncoder {
    static func encode(_ request: HTTPRequest, host: String, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 0)
        encode(request, host: host, into: &buffer)
        return buffer
    }

    /// Appends the request's bytes to `buffer`, growing it once to the size they need.
    static func encode(_ request: HTTPRequest, host: String, into buffer: inout ByteBuffer) {
        let needsHost = !request.headers.contains(name: "host")
        let length: String? =
            if let body = request.body {
                String(body.readableBytes)
            } else if request.method == .POST || request.method == .PUT || request.method == .PATCH {
                "0"
            } else {
                nil
            }
        var size = request.target.utf8.count + 64 + host.utf8.count + (request.body?.readableBytes ?? 0)
        for (name, value) in request.headers { size += name.utf8.count + value.utf8.count + 4 }
        buffer.reserveCapacity(minimumWritableBytes: size)
        buffer.writeString(request.method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeString(request.target)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        for (name, value) in request.headers {
            // The length is the body's, whatever a header said.
            if length != nil && name.utf8.count == 14 && name.lowercased() == "content-length" { continue }
            write(&buffer, name, value)
        }
        if needsHost { write(&buffer, "host", host) }
        if let length { write(&buffer, "content-length", length) }
        buffer.writeStaticString("\r\n")
        if var body = request.body { buffer.writeBuffer(&body) }
    }

    private static func write(_ buffer: inout ByteBuffer, _ name: String, _ value: String) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }
}
