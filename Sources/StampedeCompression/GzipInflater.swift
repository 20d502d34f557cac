import CZlib

/// zlib's inflate over a gzip stream (or a zlib one: HTTP's `deflate`), fed a chunk at a time: one member or
/// several one after another (what `cat a.gz b.gz` and some log shippers write). Bytes after a member that do not
/// start another (zero padding) are ignored, as gzip(1) does.
public final class GzipInflater {
    /// The stream cannot be read: not gzip after all, or damaged (zlib's own words).
    public struct Damaged: Error, CustomStringConvertible {
        public var reason: String

        public var description: String { reason }
    }

    /// What the stream is framed as.
    public enum Format: Sendable {
        /// gzip (RFC 1952): files, and HTTP's `gzip`.
        case gzip
        /// gzip or zlib (RFC 1950), told apart by the header: HTTP's `deflate` is zlib.
        case gzipOrZlib

        var windowBits: Int32 { self == .gzip ? 15 + 16 : 15 + 32 }
    }

    /// zlib keeps a pointer back to its stream: the stream must not move, so it is allocated, not a property.
    private let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
    private var output = [UInt8](repeating: 0, count: 256 << 10)
    /// A member ended and no other has begun: the stream may end here whole.
    public private(set) var atMemberEnd = false
    /// Bytes after the last member that are not another one: ignored to the end.
    private var trailing = false

    public init(_ format: Format = .gzip) {
        stream.initialize(to: z_stream())
        // The largest window (15), with a gzip header and trailer (+16) or either header (+32).
        let status = inflateInit2_(stream, format.windowBits, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        precondition(status == Z_OK, "inflateInit2 failed: \(status)")
    }

    deinit {
        inflateEnd(stream)
        stream.deinitialize(count: 1)
        stream.deallocate()
    }

    /// Inflates all of `input`, handing `body` each piece of output (valid only during the call); `body` returns
    /// false to stop there.
    public func inflate(_ input: ArraySlice<UInt8>, _ body: (ArraySlice<UInt8>) -> Bool) throws(Damaged) {
        guard !trailing, !input.isEmpty else { return }
        if atMemberEnd && input.first != 0x1F {
            trailing = true
            return
        }
        let capacity = output.count
        let result: Damaged? = input.withUnsafeBufferPointer { source in
            stream.pointee.next_in = UnsafeMutablePointer(mutating: source.baseAddress)
            stream.pointee.avail_in = UInt32(source.count)
            while true {
                let status = output.withUnsafeMutableBufferPointer { target in
                    stream.pointee.next_out = target.baseAddress
                    stream.pointee.avail_out = UInt32(capacity)
                    return CZlib.inflate(stream, Z_NO_FLUSH)
                }
                let produced = capacity - Int(stream.pointee.avail_out)
                if produced > 0, !body(output[0..<produced]) { return nil }
                switch status {
                case Z_STREAM_END:
                    atMemberEnd = true
                    inflateReset(stream)
                    let rest = Int(stream.pointee.avail_in)
                    if rest == 0 { return nil }
                    if source[source.count - rest] != 0x1F {
                        trailing = true
                        return nil
                    }
                case Z_OK:
                    // zlib answers Z_OK only when it moved: a member is under way.
                    atMemberEnd = false
                    if stream.pointee.avail_in == 0 && stream.pointee.avail_out > 0 { return nil }
                case Z_BUF_ERROR:
                    // No progress without more input: this chunk is used up.
                    return nil
                default:
                    let message = stream.pointee.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                    return Damaged(reason: message)
                }
            }
        }
        if let result { throw result }
    }
}

extension GzipInflater {
    /// A whole body inflated, at most `limit` bytes of it (a small body can inflate to gigabytes); nil past that.
    public static func inflate(
        _ body: ArraySlice<UInt8>, format: Format, limit: Int
    ) throws(Damaged) -> [UInt8]? {
        let inflater = GzipInflater(format)
        var out: [UInt8] = []
        var over = false
        try inflater.inflate(body) { piece in
            over = out.count + piece.count > limit
            if !over { out += piece }
            return !over
        }
        if over { return nil }
        guard inflater.atMemberEnd else { throw Damaged(reason: "the stream ends before its end (cut short)") }
        return out
    }
}
