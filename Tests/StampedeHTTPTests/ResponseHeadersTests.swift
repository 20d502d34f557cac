import NIOCore
import NIOHTTP1
import Testing

@testable import StampedeHTTP

/// Headers kept as the bytes they came as answer exactly what headers made of strings answer.
struct ResponseHeadersTests {
    static let text =
        "Set-Cookie: a=1; Path=/\r\nSet-Cookie2: no\r\nX-Empty:\r\nset-cookie:   b=2  \r\nLocation:/next\nX-Tab:\tv\t\r\n"

    @Test func linesAnswerLikeFields() {
        let lines = ResponseHeaders(lines: ByteBuffer(string: Self.text))
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
        #expect(ResponseHeaders(lines: ByteBuffer()).map(\.name).isEmpty)
    }
}
