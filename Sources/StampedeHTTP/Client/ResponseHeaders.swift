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
        /// No headers, and nothing held: a copy is no retain (a benchmark's responses keep no headers).
        case empty
    }

    private let storage: Storage
    /// Which names the lines may hold, as ``NameSummary`` bits: a name whose bit is clear is absent, and asking
    /// for it costs no scan (most responses are asked for `set-cookie` and have none).
    private let names: NameSummary

    public init(_ headers: HTTPHeaders = [:]) {
        storage = .fields(headers)
        names = .anything
    }

    /// No headers: asking it for a name costs nothing, and it holds no storage, so making, copying and dropping it
    /// cost no reference counting. (An empty `HTTPHeaders` is a call to make, and the parser made one for every
    /// response; an empty buffer is a retain and a release each time it is copied.)
    static var none: ResponseHeaders { ResponseHeaders(storage: .empty, names: NameSummary()) }

    private init(storage: Storage, names: NameSummary) {
        self.storage = storage
        self.names = names
    }

    /// Header lines as a response head holds them (validated: every line has a colon), with the summary of their
    /// names that the parser made as it read them.
    init(lines: ByteBuffer, names: NameSummary) {
        self.init(storage: .lines(lines), names: names)
    }

    /// Every value of the header `name` (any case), in order.
    public subscript(name: String) -> [String] {
        switch storage {
        case .fields(let headers): return headers[name]
        case .lines(let lines):
            guard names.mayHold(name) else { return [] }
            var values: [String] = []
            Self.forEachLine(lines, named: name) { values.append(String(decoding: $0, as: UTF8.self)) }
            return values
        case .empty: return []
        }
    }

    /// The first value of the header `name` (any case).
    public func first(name: String) -> String? {
        switch storage {
        case .fields(let headers): return headers.first(name: name)
        case .lines(let lines):
            guard names.mayHold(name) else { return nil }
            var first: String?
            Self.forEachLine(lines, named: name) { value in
                if first == nil { first = String(decoding: value, as: UTF8.self) }
            }
            return first
        case .empty: return nil
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
        case .empty: return HTTPHeaders()
        }
    }

    public func makeIterator() -> HTTPHeaders.Iterator { fields.makeIterator() }

    public static func == (lhs: ResponseHeaders, rhs: ResponseHeaders) -> Bool {
        lhs.fields.elementsEqual(rhs.fields) { $0.name == $1.name && $0.value == $1.value }
    }

    // MARK: Names

    /// A 64-bit summary of a set of header names: each name sets one bit, chosen by its length and its first and
    /// last bytes (ASCII, any case). A clear bit proves a name absent; a set bit says only "maybe".
    struct NameSummary: Sendable, Equatable {
        private(set) var bits: UInt64 = 0

        /// Every bit set: nothing is known to be absent.
        static let anything = NameSummary(bits: .max)

        private init(bits: UInt64) { self.bits = bits }
        init() {}

        /// Adds the name held by `bytes[range]`.
        mutating func add(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) {
            guard !range.isEmpty else { return }
            bits |= Self.bit(count: range.count, first: bytes[range.lowerBound], last: bytes[range.upperBound - 1])
        }

        func mayHold(_ name: String) -> Bool {
            guard bits != .max else { return true }
            let utf8 = name.utf8
            guard let first = utf8.first, let last = utf8.last else { return true }
            return bits & Self.bit(count: utf8.count, first: first, last: last) != 0
        }

        private static func bit(count: Int, first: UInt8, last: UInt8) -> UInt64 {
            func lowercased(_ byte: UInt8) -> UInt64 { UInt64(byte >= 65 && byte <= 90 ? byte + 32 : byte) }
            return 1 << ((UInt64(truncatingIfNeeded: count) &* 7 &+ lowercased(first) &* 3 &+ lowercased(last)) & 63)
        }
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
