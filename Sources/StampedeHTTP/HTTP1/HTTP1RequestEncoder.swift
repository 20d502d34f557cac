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

    /// Appends the request's bytes to `buffer`, in one pass over the headers (each pass copies every name and
    /// value out of them): the buffer is grown once to an estimate, and a request past it grows it again.
    static func encode(_ request: HTTPRequest, host: String, into buffer: inout ByteBuffer) {
        let length: String? =
            if let body = request.body {
                String(body.readableBytes)
            } else if request.method == .POST || request.method == .PUT || request.method == .PATCH {
                "0"
            } else {
                nil
            }
        buffer.reserveCapacity(
            minimumWritableBytes: request.target.utf8.count + host.utf8.count + (request.body?.readableBytes ?? 0)
                + 96 + 48 * request.headers.count)
        buffer.writeString(request.method.rawValue)
        buffer.writeStaticString(" ")
        buffer.writeString(request.target)
        buffer.writeStaticString(" HTTP/1.1\r\n")
        var hasHost = false
        for (name, value) in request.headers {
            if Self.isName(name, "host") {
                hasHost = true
            } else if length != nil && Self.isName(name, "content-length") {
                continue  // The length is the body's, whatever a header said.
            }
            write(&buffer, name, value)
        }
        if !hasHost { write(&buffer, "host", host) }
        if let length { write(&buffer, "content-length", length) }
        buffer.writeStaticString("\r\n")
        if var body = request.body { buffer.writeBuffer(&body) }
    }

    /// Whether the header's name is `lowercase`, in any case (no string made to compare).
    private static func isName(_ name: String, _ lowercase: StaticString) -> Bool {
        guard name.utf8.count == lowercase.utf8CodeUnitCount else { return false }
        var name = name
        return name.withUTF8 { bytes in
            HTTP1ResponseParser.equalsIgnoringCase(UnsafeRawBufferPointer(bytes), 0..<bytes.count, lowercase)
        }
    }

    private static func write(_ buffer: inout ByteBuffer, _ name: String, _ value: String) {
        buffer.writeString(name)
        buffer.writeStaticString(": ")
        buffer.writeString(value)
        buffer.writeStaticString("\r\n")
    }
}
