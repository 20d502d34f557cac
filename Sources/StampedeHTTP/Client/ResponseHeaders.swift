import NIOCore
public import NIOHTTP1

/// A response's headers. From HTTP/1.1 they stay the bytes they came as (the header lines of the response head, a
/// slice of the read buffer) until asked for: most responses are asked for one or two names, often absent, and
/// making a string of every name and value a response cost allocations the shopper path could not afford.
public struct ResponseHeaders: Sendable, Sequence, Equatable {
    private enum Storage: Sendable {
        case fields(HTTPHeaders)
        /// "Name: value" lines, each ending in CRLF (or LF), as validated by the HTTP/1.1 parser.
        case lines(ByteBuffer)
    }

    private let storage: Storage

    public init(_ headers: HTTPHeaders = [:]) {
        storage = .fields(headers)
    }

    /// Header lines as a response head holds them (validated: every line has a colon).
    init(lines: ByteBuffer) {
        storage = .lines(lines)
    }

    /// Every value of the header `name` (any case), in order.
    public subscript(name: String) -> [String] {
        switch storage {
        case .fields(let headers): return headers[name]
        case .lines(let lines):
            var values: [String] = []
            Self.forEachLine(lines, named: name) { values.append(String(decoding: $0, as: UTF8.self)) }
            return values
        }
    }

    /// The first value of the header `name` (any case).
    public func first(name: String) -> String? {
        switch storage {
        case .fields(let headers): return headers.first(name: name)
        case .lines(let lines):
            var first: String?
            Self.forEachLine(lines, named: name) { value in
                if first == nil { first = String(decoding: value, as: UTF8.self) }
            }
            return first
        }
    }

    /// All of them, as NIO's headers.
    public var fields: HTTPHeaders {
        switch storage {
        case .fields(let headers): return headers
        case .lines(let lines):
            var headers = HTTPHeaders()
            Self.forEachLine(lines, named: nil) { name, value in
                headers.add(name: String(decoding: name, as: UTF8.self), value: String(decoding: value, as: UTF8.self))
            }
            return headers
        }
    }

    public func makeIterator() -> HTTPHeaders.Iterator { fields.makeIterator() }

    public static func == (lhs: ResponseHeaders, rhs: ResponseHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    // MARK: Lines

    /// Calls `body` with the value of each line whose name is `name` (ASCII, any case).
    private static func forEachLine(_ lines: ByteBuffer, named name: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        // The name's own bytes (no copy for a native string; both sides are lowercased as they are compared).
        var name = name
        name.withUTF8 { wanted in forEachLine(lines, named: wanted) { _, value in body(value) } }
    }

    /// Calls `body` with the name and value of each line (every line when `name` is nil).
    private static func forEachLine(
        _ lines: ByteBuffer, named name: UnsafeBufferPointer<UInt8>?,
        _ body: (UnsafeRawBufferPointer, UnsafeRawBufferPointer) -> Void
    ) {
        lines.withUnsafeReadableBytes { bytes in
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 10 { end += 1 }
                var lineEnd = end
                if lineEnd > start && bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
                defer { start = end + 1 }
                guard lineEnd > start else { continue }
                var colon = start
                while colon < lineEnd && bytes[colon] != 58 { colon += 1 }
                guard colon < lineEnd else { continue }
                if let name, !matches(bytes, start..<colon, name) { continue }
                var valueStart = colon + 1
                var valueEnd = lineEnd
                while valueStart < valueEnd && (bytes[valueStart] == 32 || bytes[valueStart] == 9) { valueStart += 1 }
                while valueEnd > valueStart && (bytes[valueEnd - 1] == 32 || bytes[valueEnd - 1] == 9) { valueEnd -= 1 }
                body(
                    UnsafeRawBufferPointer(rebasing: bytes[start..<colon]),
                    UnsafeRawBufferPointer(rebasing: bytes[valueStart..<valueEnd]))
            }
        }
    }

    private static func matches(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ name: UnsafeBufferPointer<UInt8>
    )
        -> Bool
    {
        guard range.count == name.count else { return false }
        func lowercased(_ byte: UInt8) -> UInt8 { byte >= 65 && byte <= 90 ? byte + 32 : byte }
        for (offset, index) in range.enumerated() where lowercased(bytes[index]) != lowercased(name[offset]) {
            return false
        }
        return true
    }
}
