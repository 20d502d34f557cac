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
    /// value out of them) and one access to the buffer: its head is copied piece by piece into the room reserved
    /// for an estimate of its size (an access a piece, twenty a shopper's request, cost as much as the copying).
    /// A head past the estimate is written again into twice the room.
    static func encode(_ request: HTTPRequest, host: String, into buffer: inout ByteBuffer) {
        let length: String? =
            if let body = request.body {
                String(body.readableBytes)
            } else if request.method == .POST || request.method == .PUT || request.method == .PATCH {
                "0"
            } else {
                nil
            }
        var room =
            request.target.utf8.count + host.utf8.count + (request.body?.readableBytes ?? 0) + 96 + 48
            * request.headers.count
        while true {
            let written = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { bytes in
                var head = HeadWriter(into: bytes)
                head.append(string: request.method.rawValue)
                head.append(" ")
                head.append(string: request.target)
                head.append(" HTTP/1.1\r\n")
                var hasHost = false
                for (name, value) in request.headers {
                    if Self.isName(name, "host") {
                        hasHost = true
                    } else if length != nil && Self.isName(name, "content-length") {
                        continue  // The length is the body's, whatever a header said.
                    }
                    head.appendHeader(name, value)
                }
                if !hasHost { head.appendHeader("host", host) }
                if let length { head.appendHeader("content-length", length) }
                head.append("\r\n")
                return head.overflowed ? 0 : head.count
            }
            if written > 0 { break }
            room *= 2
        }
        if var body = request.body { buffer.writeBuffer(&body) }
    }

    /// Copies a request head's pieces into reserved room, as long as they fit.
    private struct HeadWriter {
        let room: UnsafeMutableRawBufferPointer
        private(set) var count = 0
        /// A piece did not fit: nothing after it was written.
        private(set) var overflowed = false

        init(into room: UnsafeMutableRawBufferPointer) {
            self.room = room
        }

        mutating func append(_ piece: UnsafeRawBufferPointer) {
            guard !overflowed, piece.count <= room.count - count else {
                overflowed = true
                return
            }
            if let base = piece.baseAddress, let destination = room.baseAddress {
                (destination + count).copyMemory(from: base, byteCount: piece.count)
            }
            count += piece.count
        }

        mutating func append(string piece: String) {
            var piece = piece
            piece.withUTF8 { append(UnsafeRawBufferPointer($0)) }
        }

        mutating func append(_ piece: StaticString) {
            piece.withUTF8Buffer { append(UnsafeRawBufferPointer($0)) }
        }

        mutating func appendHeader(_ name: String, _ value: String) {
            append(string: name)
            append(": ")
            append(string: value)
            append("\r\n")
        }
    }

    /// Whether the header's name is `lowercase`, in any case (no string made to compare).
    private static func isName(_ name: String, _ lowercase: StaticString) -> Bool {
        guard name.utf8.count == lowercase.utf8CodeUnitCount else { return false }
        var name = name
        return name.withUTF8 { bytes in
            HTTP1ResponseParser.equalsIgnoringCase(UnsafeRawBufferPointer(bytes), 0..<bytes.count, lowercase)
        }
    }
}
