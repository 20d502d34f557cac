import Foundation
import StampedeConfig
import StampedeCore
import StampedeTestKit
import Testing

/// `LogFile`: an access log read as lines, plain or gzip (logrotate's `access.log.2.gz` read 95 lines of binary and
/// skipped them all: "no request was counted").
struct LogFileTests {
    /// A scratch folder, removed at the end.
    final class Folder {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("logfile-\(UUID().uuidString)")

        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }

        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            let path = url.appendingPathComponent(name).path
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    /// `text` compressed by gzip(1), as one member.
    static func gzip(_ text: String) throws -> [UInt8] { try CompressedFixture.gzip(Array(text.utf8)) }

    /// Lines long enough that the text passes several of the reader's 1 MiB chunks and the inflater's 256 KiB
    /// buffers, the last one without a line break.
    static func text(lines: Int, tag: String) -> String {
        (0..<lines).map { "\(tag) line \($0) " + String(repeating: "x", count: $0 % 97) }.joined(separator: "\n")
    }

    static func lines(_ path: String) throws(LogFile.Failure) -> (lines: [String], ending: LogFile.Ending) {
        var lines: [String] = []
        let ending = try LogFile(path: path).forEachLine { lines.append(String($0)) }
        return (lines, ending)
    }

    @Test func aGzipLogReadsAsItsPlainText() throws {
        let folder = try Folder()
        let text = Self.text(lines: 60_000, tag: "a")
        let plain = try Self.lines(try folder.write("access.log", Array(text.utf8)))
        let compressed = try Self.gzip(text)
        let gzip = try Self.lines(try folder.write("access.log.2.gz", compressed))
        #expect(plain.lines.count == 60_000 && plain.lines.last?.hasPrefix("a line 59999 ") == true)
        #expect(gzip.lines == plain.lines)
        #expect(gzip.ending.bytes == compressed.count && gzip.ending.gzip && !gzip.ending.cutShort)
        #expect(plain.ending.gzip == false && plain.ending.cutShort == false)
        // Found by its first bytes, not its name.
        #expect(try Self.lines(try folder.write("renamed.log", compressed)).lines == plain.lines)
    }

    @Test func membersOneAfterAnotherAndTrailingZerosAreRead() throws {
        let folder = try Folder()
        let first = Self.text(lines: 3, tag: "first") + "\n"
        let second = Self.text(lines: 2, tag: "second") + "\n"
        let joined = try Self.gzip(first) + Self.gzip(second) + [UInt8](repeating: 0, count: 100)
        let read = try Self.lines(try folder.write("joined.gz", joined))
        #expect(read.lines == (first + second).split(separator: "\n").map(String.init))
        #expect(read.ending.cutShort == false)
    }

    @Test func aGzipLogCutShortGivesItsLinesUpToTheCutAndSaysSo() throws {
        let folder = try Folder()
        let text = Self.text(lines: 40_000, tag: "c")
        let compressed = try Self.gzip(text)
        let read = try Self.lines(try folder.write("cut.gz", Array(compressed.prefix(compressed.count / 2))))
        #expect(read.ending.cutShort)
        let whole = text.split(separator: "\n").map(String.init)
        #expect(read.lines.count > 10_000 && read.lines.count < 40_000)
        // Every line but the last (cut inside, perhaps) is the log's own.
        #expect(Array(read.lines.dropLast()) == Array(whole.prefix(read.lines.count - 1)))
    }

    @Test func whatCannotBeReadIsNamed() throws {
        let folder = try Folder()
        #expect(throws: LogFile.Failure.unreadable(reason: "no such file or directory", afterBytes: 0)) {
            try Self.lines(folder.url.appendingPathComponent("missing.log").path)
        }
        #expect(throws: LogFile.Failure.unreadable(reason: "is a directory", afterBytes: 0)) {
            try Self.lines(folder.url.path)
        }
        #expect(throws: LogFile.Failure.damaged(reason: "unknown compression method", afterBytes: 14)) {
            try Self.lines(try folder.write("bad.gz", [0x1F, 0x8B] + Array("garbage here".utf8)))
        }
        let zstd: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x24, 0x05, 0x29, 0x00, 0x00]
        #expect(throws: LogFile.Failure.compressed(format: "zstd", tool: "zstdcat")) {
            try Self.lines(try folder.write("access.log.zst", zstd))
        }
        #expect(throws: LogFile.Failure.compressed(format: "xz", tool: "xzcat")) {
            try Self.lines(try folder.write("access.log.xz", [0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 0x00, 0x04]))
        }
    }

    @Test func aLogsFileNameGivesAProfileName() {
        #expect(DerivedProfile.name(fromFile: "/var/log/nginx/access.log.2.gz") == "access")
        #expect(DerivedProfile.name(fromFile: "shop access (2025).log") == "shop-access-2025")
        #expect(DerivedProfile.name(fromFile: "tmall.json") == "tmall.json")
        #expect(DerivedProfile.name(fromFile: "-") == "access-log")
        #expect(DerivedProfile.name(fromFile: "(1).log") == "1")
        #expect(ShortName.isValid(DerivedProfile.name(fromFile: "双十一 访问.log")))
        #expect(!ShortName.isValid("a b") && !ShortName.isValid(""))
    }

    /// A name YAML reads as something else (`null`, `2025`) is written quoted: `null.log` gave a profile whose
    /// name was missing, and the command exited 70 ("a bug").
    @Test func aDerivedProfileLoadsWhateverItsName() throws {
        var shape = TrafficShape()
        for minute in 0..<1_440 {
            let time = String(format: "11/Nov/2025:%02d:%02d:00 +0800", minute / 60, minute % 60)
            shape.add(Substring("1.2.3.4 - - [\(time)] \"GET / HTTP/1.1\" 200 1 \"-\" \"x\""))
        }
        let derived = try #require(DerivedProfile(shape))
        for name in ["null", "2025", "true", "1e3", "yes", "0x1F", ".nan"] {
            let text = derived.yaml(name: name, timeZone: "Etc/GMT-8", derivation: [])
            #expect(try ProfileLoader.parse(text, file: "p.yaml").name == name)
        }
    }
}
