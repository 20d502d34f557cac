import NIOCore
import NIOHTTP1

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// HTTP/1.1 responses from bytes, as a value type: feed it what the socket gave, take complete responses out.
/// Bodies by content-length, chunked, or (for a response that says neither) until the connection closes; no body
/// for HEAD, 1xx, 204 and 304. Interim 1xx responses are skipped. No I/O here, so every path is tested from bytes.
struct HTTP1ResponseParser {
    struct Response: Equatable {
        var status: Int
        /// Empty when the body was only counted.
        var headers: ResponseHeaders
        /// Nil when the body was only counted.
        var body: ByteBuffer?
        var bodyBytes: Int
        /// False when the connection must close after this response.
        var keepAlive: Bool

        static var empty: Response { Response(status: 0, headers: .none, body: nil, bodyBytes: 0, keepAlive: true) }
    }

    enum Outcome: Equatable {
        case needMore
        case response(Response)
        case failure(String)
    }

    /// The most bytes a status line and headers may take.
    static let maxHeadBytes = 64 * 1024
    /// The most bytes a body may take.
    static let maxBodyBytes = 16 << 20

    private enum Body {
        case fixed(remaining: Int)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkDataEnd
        case trailers
        case untilClose
    }

    private enum State {
        case head
        case body(Body)
    }

    private var state = State.head
    private var response = Response.empty
    private var unparsed: ByteBuffer?
    /// The names of the response head being read, summarised for ``ResponseHeaders``.
    private var names = ResponseHeaders.NameSummary()

    /// Whether the response being read is to a HEAD request (no body whatever the headers say).
    var isHEAD = false
    /// False to count body bytes without keeping them, and to skip keeping headers.
    var keepsBody = true

    /// Takes the next bytes; call ``next()`` until it says `needMore`.
    mutating func feed(_ bytes: ByteBuffer) {
        if unparsed == nil || unparsed!.readableBytes == 0 {
            unparsed = bytes
        } else {
            var bytes = bytes
            unparsed!.writeBuffer(&bytes)
        }
    }

    /// True when bytes are waiting that no response asked for yet.
    var hasUnparsedBytes: Bool { (unparsed?.readableBytes ?? 0) > 0 }

    /// The next complete response, if the bytes so far hold one.
    mutating func next() -> Outcome {
        while true {
            switch state {
            case .head:
                // Read in place, in one pass: a copy of the buffer, or a slice of the head, is a retain and a
                // release, and the head's lines are found as it is parsed (no scan for its end first).
                guard let unparsed else { return .needMore }
                switch unparsed.withUnsafeReadableBytes({ parseHead($0) }) {
                case .incomplete:
                    if unparsed.readableBytes > Self.maxHeadBytes {
                        return .failure("the response head is longer than \(Self.maxHeadBytes / 1024) KiB")
                    }
                    return .needMore
                case .failure(let message):
                    return .failure(message)
                case .complete(let headers, let length):
                    if keepsBody {
                        // The header lines as they came: strings are made only of those asked for
                        // (``ResponseHeaders``).
                        let lines = unparsed.getSlice(
                            at: unparsed.readerIndex + headers.lowerBound, length: headers.count)
                        response.headers = ResponseHeaders(lines: lines ?? ByteBuffer(), names: names)
                    }
                    self.unparsed!.moveReaderIndex(forwardBy: length)
                }
                if (100...199).contains(response.status) {
                    // An interim response (100 Continue): the real one follows.
                    let isHEAD = self.isHEAD
                    reset()
                    self.isHEAD = isHEAD
                    continue
                }
            case .body(let body):
                if let outcome = advance(body) { return outcome }
            }
        }
    }

    /// The connection closed: a body that runs until the close is complete now; anything else was cut short.
    mutating func endOfInput() -> Outcome {
        if case .body(.untilClose) = state { return finished() }
        return .needMore
    }

    /// Nothing is half-read.
    var isIdle: Bool {
        if case .head = state, !hasUnparsedBytes { return true }
        return false
    }

    // MARK: Head

    /// How far a head has been read: all of it (where its header lines are, and its length with the empty line that
    /// ends it), not all of it yet, or not a valid head.
    private enum Head {
        case complete(headers: Range<Int>, length: Int)
        case incomplete
        case failure(String)
    }

    /// Reads the status line and headers from the start of `bytes`, up to the empty line that ends them, and
    /// decides how the body is delimited. One pass over the raw bytes with no line array and no strings (and no
    /// buffer views, whose every copy is a retain): this runs once per response. Nothing is kept unless the head
    /// is complete.
    /// What came back instead of an HTTP/1 status line.
    static func notHTTP1(_ bytes: UnsafeRawBufferPointer) -> String {
        // A frame header of 9 bytes: length, type 4 (SETTINGS), flags, stream 0.
        if bytes.count >= 9, bytes[3] == 4, bytes[5] == 0, bytes[6] == 0, bytes[7] == 0, bytes[8] == 0 {
            return "the server answered with an HTTP/2 frame, not HTTP/1.1: it speaks HTTP/2 only; use --protocol h2c"
        }
        let shown = bytes.prefix(16).map { byte in
            (32..<127).contains(byte) && byte != 34 && byte != 92
                ? String(UnicodeScalar(byte))
                : "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
        }
        return "the response does not start with an HTTP/1.x status line (it starts \"\(shown.joined())\")"
    }

    private mutating func parseHead(_ bytes: UnsafeRawBufferPointer) -> Head {
        var lineStart = 0
        // The next line without its line end (CRLF, or a bare LF); nil until its line end has arrived.
        func nextLine() -> Range<Int>? {
            guard let newline = Self.firstIndex(of: 10, bytes, lineStart..<bytes.count) else { return nil }
            var lineEnd = newline
            if lineEnd > lineStart && bytes[lineEnd - 1] == 13 { lineEnd -= 1 }
            defer { lineStart = newline + 1 }
            return lineStart..<lineEnd
        }
        // "HTTP/1.1 200 OK"
        let version: StaticString = "HTTP/1."
        // Not HTTP/1 from its first bytes, without waiting for a line end that may never come: an HTTP/2-only
        // server sends a SETTINGS frame and closes, and that read as "the connection closed before the response was
        // complete".
        if bytes.count >= 7, memcmp(bytes.baseAddress.unsafelyUnwrapped, version.utf8Start, 7) != 0 {
            return .failure(Self.notHTTP1(bytes))
        }
        guard let statusLine = nextLine() else { return .incomplete }
        guard statusLine.count >= 12,
            memcmp(bytes.baseAddress.unsafelyUnwrapped + statusLine.lowerBound, version.utf8Start, 7) == 0
        else {
            return .failure("the response does not start with an HTTP/1.x status line")
        }
        let minor = bytes[statusLine.lowerBound + 7]
        let codeStart = statusLine.lowerBound + 9
        guard bytes[statusLine.lowerBound + 8] == 32, let status = Self.number(bytes, codeStart..<codeStart + 3),
            (100...999).contains(status)
        else {
            return .failure("the response's status line is not valid")
        }
        let headersStart = lineStart
        var headersEnd = headersStart
        var names = ResponseHeaders.NameSummary()
        var contentLength: Int?
        var chunked = false
        var keepAlive = minor != UInt8(ascii: "0")
        while true {
            guard let line = nextLine() else { return .incomplete }
            if line.isEmpty {
                // The end of the head: the header lines are what came before it, each with its line end.
                headersEnd = line.lowerBound
                break
            }
            guard let colon = Self.firstIndex(of: 58, bytes, line) else {
                return .failure("a response header has no colon")
            }
            let name = line.lowerBound..<colon
            names.add(bytes, name)
            let value = Self.trimmed(bytes, colon + 1..<line.upperBound)
            switch name.count {
            case 14 where Self.equalsIgnoringCase(bytes, name, "content-length"):
                guard let length = Self.number(bytes, value), contentLength == nil || contentLength == length else {
                    return .failure("the response's content-length is not valid")
                }
                contentLength = length
            case 17 where Self.equalsIgnoringCase(bytes, name, "transfer-encoding"):
                var last: Range<Int>?
                Self.forEachToken(bytes, value) { last = $0 }
                chunked = last.map { Self.equalsIgnoringCase(bytes, $0, "chunked") } ?? false
            case 10 where Self.equalsIgnoringCase(bytes, name, "connection"):
                Self.forEachToken(bytes, value) { token in
                    if Self.equalsIgnoringCase(bytes, token, "close") { keepAlive = false }
                    if Self.equalsIgnoringCase(bytes, token, "keep-alive") { keepAlive = true }
                }
            default:
                break
            }
        }
        self.names = names
        response = Response(status: status, headers: .none, body: nil, bodyBytes: 0, keepAlive: keepAlive)
        if isHEAD || (100...199).contains(status) || status == 204 || status == 304 {
            state = .body(.fixed(remaining: 0))
        } else if chunked {
            state = .body(.chunkSize)
        } else if let contentLength {
            guard contentLength <= Self.maxBodyBytes else {
                return .failure("the response body is larger than \(Self.maxBodyBytes >> 20) MiB")
            }
            state = .body(.fixed(remaining: contentLength))
        } else {
            response.keepAlive = false
            state = .body(.untilClose)
        }
        return .complete(headers: headersStart..<headersEnd, length: lineStart)
    }

    // MARK: Body

    /// One step of reading a body; nil when the step moved on and parsing goes on (a loop, not recursion: a
    /// body of many small chunks must not deepen the stack).
    private mutating func advance(_ body: Body) -> Outcome? {
        switch body {
        case .fixed(let remaining):
            let taken = take(upTo: remaining)
            if taken < remaining {
                state = .body(.fixed(remaining: remaining - taken))
                return .needMore
            }
            return finished()
        case .untilClose:
            _ = take(upTo: Int.max)
            if response.bodyBytes > Self.maxBodyBytes {
                return .failure("the response body is larger than \(Self.maxBodyBytes >> 20) MiB")
            }
            return .needMore
        case .chunkSize:
            guard var buffer = unparsed, let lineEnd = Self.lineEnd(buffer) else {
                if (unparsed?.readableBytes ?? 0) > 1024 { return .failure("a chunk size line is too long") }
                return .needMore
            }
            let line = buffer.readSlice(length: lineEnd)!.readableBytesView
            buffer.moveReaderIndex(forwardBy: 2)
            unparsed = buffer
            let digits = line.prefix { $0 != 59 && $0 != 32 }  // before any chunk extension
            guard let size = Self.hex(digits) else { return .failure("a chunk size is not valid") }
            guard response.bodyBytes + size <= Self.maxBodyBytes else {
                return .failure("the response body is larger than \(Self.maxBodyBytes >> 20) MiB")
            }
            state = .body(size == 0 ? .trailers : .chunkData(remaining: size))
            return nil
        case .chunkData(let remaining):
            let taken = take(upTo: remaining)
            state = .body(taken < remaining ? .chunkData(remaining: remaining - taken) : .chunkDataEnd)
            return taken < remaining ? .needMore : nil
        case .chunkDataEnd:
            guard var buffer = unparsed, buffer.readableBytes >= 2 else { return .needMore }
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { return .failure("a chunk does not end in CRLF") }
            unparsed = buffer
            state = .body(.chunkSize)
            return nil
        case .trailers:
            guard var buffer = unparsed, let lineEnd = Self.lineEnd(buffer) else { return .needMore }
            buffer.moveReaderIndex(forwardBy: lineEnd + 2)
            unparsed = buffer
            if lineEnd > 0 { return nil }  // a trailer field: skipped
            return finished()
        }
    }

    /// Moves up to `limit` body bytes from the input into the response; how many were moved.
    private mutating func take(upTo limit: Int) -> Int {
        guard var buffer = unparsed, limit > 0 else { return 0 }
        let count = min(limit, buffer.readableBytes)
        guard count > 0 else { return 0 }
        response.bodyBytes += count
        guard keepsBody else {
            // Only counted: no slice (a slice is a retain and a release).
            buffer.moveReaderIndex(forwardBy: count)
            unparsed = buffer
            return count
        }
        var slice = buffer.readSlice(length: count)!
        unparsed = buffer
        if response.body == nil {
            response.body = slice
        } else {
            response.body!.writeBuffer(&slice)
        }
        return count
    }

    private mutating func reset() {
        state = .head
        isHEAD = false
        response = .empty
    }

    /// The response read, moved out (a copy retains its buffers, and the reset then releases them), and the parser
    /// ready for the next head. Input all read is let go: the socket's next read can then fill the same buffer again.
    private mutating func finished() -> Outcome {
        var done = Response.empty
        swap(&done, &response)
        reset()
        if unparsed?.readableBytes == 0 { unparsed = nil }
        return .response(done)
    }

    // MARK: Bytes

    private static func lineEnd(_ buffer: ByteBuffer) -> Int? {
        let view = buffer.readableBytesView
        guard let lf = view.firstIndex(of: 10), lf > view.startIndex, view[lf - 1] == 13 else { return nil }
        return lf - 1 - view.startIndex
    }

    private static func number(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, range.count <= 18 else { return nil }
        var value = 0
        for index in range {
            let byte = bytes[index]
            guard byte >= 48 && byte <= 57 else { return nil }
            value = value * 10 + Int(byte - 48)
        }
        return value
    }

    private static func hex<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> Int? {
        guard !bytes.isEmpty, bytes.count <= 15 else { return nil }
        var value = 0
        for byte in bytes {
            let digit: UInt8
            switch byte {
            case 48...57: digit = byte - 48
            case 65...70: digit = byte - 55
            case 97...102: digit = byte - 87
            default: return nil
            }
            value = value * 16 + Int(digit)
        }
        return value
    }

    /// Where `byte` first is in `bytes[range]`, found by `memchr`: a response head is scanned for its line ends
    /// and colons, and a loop of Swift a byte at a time was most of the parser's CPU.
    private static func firstIndex(of byte: UInt8, _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Int? {
        guard !range.isEmpty, let base = bytes.baseAddress,
            let found = memchr(base + range.lowerBound, Int32(byte), range.count)
        else { return nil }
        return base.distance(to: UnsafeRawPointer(found))
    }

    /// Whether the bytes in `range` are `lowercase` (ASCII, any case).
    static func equalsIgnoringCase(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ lowercase: StaticString
    ) -> Bool {
        guard range.count == lowercase.utf8CodeUnitCount else { return false }
        let expected = lowercase.utf8Start
        for (offset, index) in range.enumerated() {
            let byte = bytes[index]
            if (byte >= 65 && byte <= 90 ? byte + 32 : byte) != expected[offset] { return false }
        }
        return true
    }

    /// Each element of a comma-separated header value, trimmed, the empty ones left out (no array made).
    private static func forEachToken(
        _ bytes: UnsafeRawBufferPointer, _ range: Range<Int>, _ body: (Range<Int>) -> Void
    ) {
        var start = range.lowerBound
        for index in range.lowerBound...range.upperBound where index == range.upperBound || bytes[index] == 44 {
            let token = trimmed(bytes, start..<index)
            if !token.isEmpty { body(token) }
            start = index + 1
        }
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, bytes[lower] == 32 || bytes[lower] == 9 { lower += 1 }
        while upper > lower, bytes[upper - 1] == 32 || bytes[upper - 1] == 9 { upper -= 1 }
        return lower..<upper
    }
}
