import Foundation
import StampedeCompression
import StampedeCore

/// An access log read as lines, 1 MiB at a time (a 10 GB log in constant memory): plain text, or gzip
/// (logrotate's `access.log.2.gz`), told apart by the first bytes whatever the name. `-` is standard input.
public struct LogFile: Sendable {
    public enum Failure: Error, Equatable {
        /// It cannot be opened or read: the system's reason, and how far it got.
        case unreadable(reason: String, afterBytes: Int)
        /// Compressed in a format not read here; `tool` writes it out plain (`zstdcat`).
        case compressed(format: String, tool: String)
        /// A gzip stream that cannot be inflated, in zlib's words.
        case damaged(reason: String, afterBytes: Int)
    }

    /// How the reading ended.
    public struct Ending: Sendable, Equatable {
        /// Bytes read from the file (compressed, for gzip).
        public var bytes: Int
        /// Read through gzip.
        public var gzip: Bool
        /// The gzip stream stopped inside a member (a file cut short, or still being written): every line up to
        /// there was read.
        public var cutShort: Bool
    }

    public let path: String

    public init(path: String) { self.path = path }

    /// Formats read elsewhere, by their first bytes, with the tool that writes each out plain.
    static let otherFormats: [(magic: [UInt8], format: String, tool: String)] = [
        ([0x28, 0xB5, 0x2F, 0xFD], "zstd", "zstdcat"), ([0x42, 0x5A, 0x68], "bzip2", "bzcat"),
        ([0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00], "xz", "xzcat"), ([0x04, 0x22, 0x4D, 0x18], "lz4", "lz4cat"),
    ]

    /// Hands `line` each line without its line break (the last one even without one), and `progress` the bytes
    /// read so far after each chunk.
    @discardableResult
    public func forEachLine(
        progress: (Int) -> Void = { _ in }, line: (Substring) -> Void
    ) throws(Failure) -> Ending {
        let handle: FileHandle
        if path == "-" {
            handle = FileHandle.standardInput
        } else {
            do {
                handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path))
            } catch {
                throw .unreadable(reason: FileErrorReason.of(error), afterBytes: 0)
            }
        }
        defer { if path != "-" { try? handle.close() } }
        var bytes = 0
        func read() throws(Failure) -> [UInt8] {
            do {
                // As an array: Data's subscript checks exclusive access on every byte, which cost a third of the time.
                let chunk = [UInt8](try handle.read(upToCount: 1 << 20) ?? Data())
                bytes += chunk.count
                return chunk
            } catch {
                // A folder opens, then fails its first read ("Is a directory"); a disk can fail mid-log.
                throw .unreadable(reason: FileErrorReason.of(error), afterBytes: bytes)
            }
        }
        // Enough of the start to know the format (a pipe may hand out a few bytes at a time).
        var chunk = try read()
        while chunk.count < 6 {
            let more = try read()
            if more.isEmpty { break }
            chunk += more
        }
        if let other = Self.otherFormats.first(where: { chunk.starts(with: $0.magic) }) {
            throw .compressed(format: other.format, tool: other.tool)
        }
        var lines = LineSplitter()
        let inflater = chunk.starts(with: [0x1F, 0x8B]) ? GzipInflater() : nil
        while !chunk.isEmpty {
            if let inflater {
                do {
                    try inflater.inflate(chunk[...]) {
                        lines.feed($0, line)
                        return true
                    }
                } catch {
                    throw .damaged(reason: error.reason, afterBytes: bytes)
                }
            } else {
                lines.feed(chunk[...], line)
            }
            progress(bytes)
            chunk = try read()
        }
        lines.finish(line)
        return Ending(bytes: bytes, gzip: inflater != nil, cutShort: inflater.map { !$0.atMemberEnd } ?? false)
    }
}

/// Bytes in, lines out: a line may straddle chunks.
private struct LineSplitter {
    private var carry: [UInt8] = []

    mutating func feed(_ chunk: ArraySlice<UInt8>, _ line: (Substring) -> Void) {
        var start = chunk.startIndex
        for index in chunk.indices where chunk[index] == UInt8(ascii: "\n") {
            if carry.isEmpty {
                line(Substring(String(decoding: chunk[start..<index], as: UTF8.self)))
            } else {
                carry += chunk[start..<index]
                line(Substring(String(decoding: carry, as: UTF8.self)))
                carry.removeAll(keepingCapacity: true)
            }
            start = index + 1
        }
        carry += chunk[start...]
    }

    mutating func finish(_ line: (Substring) -> Void) {
        if !carry.isEmpty { line(Substring(String(decoding: carry, as: UTF8.self))) }
        carry.removeAll()
    }
}
