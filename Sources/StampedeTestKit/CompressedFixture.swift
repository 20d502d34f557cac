import Foundation
import StampedeProcess

/// Bytes compressed as a log rotator or a web server compresses them, for tests of what reads them: gzip by
/// Debian's gzip(1) (an Essential package), and zlib (HTTP's `deflate`) made from that gzip's own deflate data.
public enum CompressedFixture {
    public struct Failed: Error, CustomStringConvertible {
        public var description: String
    }

    /// `bytes` as one gzip member, without a file name in its header.
    public static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gzip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = folder.appendingPathComponent("plain")
        try Data(bytes).write(to: plain)
        // gzip -n: no name or time in the header, so it is the 10 bytes `zlib` below takes off.
        let child = try ChildProcess.launch("/bin/gzip", ["-n", "-6", plain.path])
        child.waitUntilExit()
        guard child.terminationStatus == 0 else { throw Failed(description: "gzip exited \(child.terminationStatus)") }
        return [UInt8](try Data(contentsOf: folder.appendingPathComponent("plain.gz")))
    }

    /// `bytes` as a zlib stream (RFC 1950): the gzip member's deflate data between a zlib header and the Adler-32
    /// of `bytes`.
    public static func zlib(_ bytes: [UInt8]) throws -> [UInt8] {
        let member = try gzip(bytes)
        let deflate = member[10..<(member.count - 8)]
        var (a, b): (UInt32, UInt32) = (1, 0)
        for byte in bytes {
            a = (a + UInt32(byte)) % 65_521
            b = (b + a) % 65_521
        }
        let adler = b << 16 | a
        return [0x78, 0x9C] + deflate + [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: adler >> $0) }
    }
}
