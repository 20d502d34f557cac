import NIOCore
import NIOHTTP1
import Testing

@testable import StampedeHTTP

/// Headers kept as the bytes they came as answer exactly what headers made of strings answer.
struct ResponseHeadersTests {
    static let text =
        "Set-Cookie: a=1; Path=/\r\nSet-Cookie2: no\r\nX-Empty:\r\nset-cookie:   b=2  \r\nLocation:/next\nX-Tab:\tv\t\r\n"

    @Test func linesAnswerLikeFields() {
        let lines = ResponseHeaders(lines: ByteBuffer(string: Self.text), names: .anything)
        #expect(lines["set-cookie"] == ["a=1; Path=/", "b=2"])
        #expect(lines["SET-COOKIE2"] == ["no"])
        #expect(lines["x-empty"] == [""])
        #expect(lines["set-cook"].isEmpty)
        #expect(lines["missing"].isEmpty)
        #expect(lines.first(name: "location") == "/next")
        #expect(lines.first(name: "x-tab") == "v")
        #expect(lines.first(name: "absent") == nil)
        #expect(lines.map(\.name) == ["Set-Cookie", "Set-Cookie2", "X-Empty", "set-cookie", "Location", "X-Tab"])
        let fields = ResponseHeaders(HTTPHeaders(lines.map { ($0.name, $0.value) }))
        #expect(fields == lines)
        #expect(fields["set-cookie"] == lines["set-cookie"])
        #expect(ResponseHeaders(lines: ByteBuffer(), names: .init()).map(\.name).isEmpty)
        // No headers at all (what a benchmark's responses carry) answers as empty lines do.
        #expect(ResponseHeaders.none["set-cookie"].isEmpty)
        #expect(ResponseHeaders.none.first(name: "location") == nil)
        #expect(ResponseHeaders.none.map(\.name).isEmpty)
        #expect(ResponseHeaders.none == ResponseHeaders(lines: ByteBuffer(), names: .init()))
        #expect(ResponseHeaders.none != lines)
    }

    /// The parser's summary of a head's names answers the same as a scan: every name there is found, and names
    /// that are not there are absent (most of them without a scan).
    @Test func theParsersSummaryOfNamesHidesNoName() throws {
        var parser = HTTP1ResponseParser()
        parser.feed(ByteBuffer(string: "HTTP/1.1 200 OK\r\n" + Self.text + "Content-Length: 0\r\n\r\n"))
        guard case .response(let parsed) = parser.next() else { throw ParseFailed() }
        let scanned = ResponseHeaders(lines: ByteBuffer(string: Self.text + "Content-Length: 0\r\n"), names: .anything)
        let names = ["set-cookie", "SET-COOKIE2", "x-empty", "location", "X-TAB", "content-length"]
        for name in names + ["missing", "etag", "cookie", "x-tax", "set-cook", "server", "date", "l"] {
            #expect(parsed.headers[name] == scanned[name], "\(name)")
            #expect(parsed.headers.first(name: name) == scanned.first(name: name), "\(name)")
        }
        #expect(parsed.headers["set-cookie"] == ["a=1; Path=/", "b=2"])
    }

    /// A summary rules out a name it was not given (so a `set-cookie` lookup on a response without one costs
    /// no scan), never one it was given, and the summary of headers made of strings rules out nothing.
    @Test func aSummaryRulesOutNamesItWasNotGiven() {
        var summary = ResponseHeaders.NameSummary()
        for name in ["Server", "Date", "Content-Type", "Content-Length", "Connection", "ETag", "Last-Modified"] {
            Array(name.utf8).withUnsafeBytes { summary.add($0, 0..<$0.count) }
        }
        for name in ["server", "DATE", "content-type", "content-length", "connection", "etag", "last-modified"] {
            #expect(summary.mayHold(name), "\(name)")
        }
        #expect(!summary.mayHold("set-cookie"))
        #expect(!ResponseHeaders.NameSummary().mayHold("location"))
        #expect(ResponseHeaders.NameSummary.anything.mayHold("set-cookie"))
        let lines = ResponseHeaders(lines: ByteBuffer(string: "Set-Cookie: a=1\r\n"), names: summary)
        #expect(lines["set-cookie"].isEmpty, "the summary is trusted: a name it rules out is not scanned for")
    }

    struct ParseFailed: Error {}
}
