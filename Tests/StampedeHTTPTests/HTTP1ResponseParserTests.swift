import NIOCore
import NIOHTTP1
import Testing

@testable import StampedeHTTP

/// The HTTP/1.1 response parser, from bytes, in every way a response can be delimited and split.
struct HTTP1ResponseParserTests {
    /// Feeds `text` in pieces of `step` bytes and collects every outcome that is not `needMore`.
    static func parse(
        _ text: String, step: Int = .max, isHEAD: Bool = false, closeAtEnd: Bool = false
    )
        -> [HTTP1ResponseParser.Outcome]
    {
        var parser = HTTP1ResponseParser()
        parser.isHEAD = isHEAD
        var outcomes: [HTTP1ResponseParser.Outcome] = []
        let bytes = Array(text.utf8)
        var offset = 0
        while offset < bytes.count {
            let end = min(bytes.count, offset + step)
            parser.feed(ByteBuffer(bytes: bytes[offset..<end]))
            offset = end
            while true {
                let outcome = parser.next()
                if outcome == .needMore { break }
                outcomes.append(outcome)
                if case .failure = outcome { return outcomes }
                parser.isHEAD = isHEAD
            }
        }
        if closeAtEnd {
            let outcome = parser.endOfInput()
            if outcome != .needMore { outcomes.append(outcome) }
        }
        return outcomes
    }

    static func body(_ outcome: HTTP1ResponseParser.Outcome?) -> String? {
        guard case .response(let response) = outcome else { return nil }
        return response.body.map { String(buffer: $0) } ?? ""
    }

    @Test(arguments: [1, 3, 7, 1000])
    func contentLengthBodiesInAnyPieces(step: Int) {
        let text =
            "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-A: b\r\n\r\nhello"
            + "HTTP/1.1 201 Created\r\ncontent-length: 2\r\n\r\nok"
        let outcomes = Self.parse(text, step: step)
        #expect(outcomes.count == 2)
        #expect(Self.body(outcomes.first) == "hello")
        #expect(Self.body(outcomes.last) == "ok")
        if case .response(let first) = outcomes.first {
            #expect(first.status == 200)
            #expect(first.headers.first(name: "x-a") == "b")
            #expect(first.keepAlive)
        }
    }

    @Test(arguments: [1, 4, 1000])
    func chunkedBodiesWithExtensionsAndTrailers(step: Int) {
        let text =
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=x\r\nflash\r\n1\r\n-\r\n4\r\nsale\r\n0\r\nX-Trailer: 1\r\n\r\n"
        let outcomes = Self.parse(text, step: step)
        #expect(outcomes.count == 1)
        #expect(Self.body(outcomes.first) == "flash-sale")
    }

    @Test func noBodyForHEAD204304AndInterim1xxIsSkipped() {
        #expect(Self.body(Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", isHEAD: true).first) == "")
        #expect(Self.body(Self.parse("HTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n").first) == "")
        #expect(Self.body(Self.parse("HTTP/1.1 304 Not Modified\r\n\r\n").first) == "")
        let interim = Self.parse("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        #expect(interim.count == 1)
        #expect(Self.body(interim.first) == "ok")
    }

    @Test func closeDelimitedAndConnectionClose() {
        let untilClose = Self.parse("HTTP/1.1 200 OK\r\n\r\nall of it", closeAtEnd: true)
        #expect(Self.body(untilClose.first) == "all of it")
        if case .response(let response) = untilClose.first { #expect(!response.keepAlive) }
        let closing = Self.parse("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 1\r\n\r\nx")
        if case .response(let response) = closing.first { #expect(!response.keepAlive) } else { Issue.record() }
        let http10 = Self.parse("HTTP/1.0 200 OK\r\nContent-Length: 1\r\n\r\nx")
        if case .response(let response) = http10.first { #expect(!response.keepAlive) } else { Issue.record() }
        // Tokens in any case, among others, with spaces; the headers kept as they came.
        let kept = Self.parse(
            "HTTP/1.0 200 OK\r\nconnection:  Upgrade , KEEP-ALIVE \r\nX-Two:a\r\nContent-Length: 1\r\n\r\nx")
        if case .response(let response) = kept.first {
            #expect(response.keepAlive)
            #expect(response.headers.map(\.name) == ["connection", "X-Two", "Content-Length"])
            #expect(response.headers.first(name: "connection") == "Upgrade , KEEP-ALIVE")
            #expect(response.headers.first(name: "x-two") == "a")
        } else {
            Issue.record()
        }
        let lowercaseVersion = Self.parse("http/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
        guard case .failure = lowercaseVersion.last else {
            Issue.record("\(lowercaseVersion)")
            return
        }
    }

    @Test(arguments: [
        "NOT HTTP AT ALL\r\n\r\n",
        "HTTP/1.1 2OO OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabXY",
    ])
    func malformedResponsesAreFailures(text: String) {
        let outcomes = Self.parse(text)
        guard case .failure = outcomes.last else {
            Issue.record("expected a failure for \(text.debugDescription), got \(outcomes)")
            return
        }
    }

    /// What is not HTTP/1 fails from its first bytes, without waiting for a line end, and says what came: an
    /// HTTP/2-only server's SETTINGS frame (then it closes) read as "the connection closed before the response was
    /// complete".
    @Test func whatIsNotHTTP1IsSaidFromItsFirstBytes() {
        let settings = "\u{0}\u{0}\u{0}\u{4}\u{0}\u{0}\u{0}\u{0}\u{0}"
        #expect(
            Self.parse(settings)
                == [
                    .failure(
                        "the server answered with an HTTP/2 frame, not HTTP/1.1: it speaks HTTP/2 only; use --protocol h2c"
                    )
                ])
        #expect(
            Self.parse("SSH-2.0-OpenSSH\r")
                == [
                    .failure(
                        #"the response does not start with an HTTP/1.x status line (it starts "SSH-2.0-OpenSSH\x0D")"#)
                ])
        // Fewer than 7 bytes wait for more; "HTTP/1." split anywhere still parses.
        #expect(Self.parse("HTTP/").isEmpty)
        #expect(Self.body(Self.parse("HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok", step: 3).first) == "ok")
    }

    /// The head is read as it arrives, line by line: lines may end in a bare LF (RFC 9112 lets a recipient accept
    /// that), the head ends at its first empty line, and a first line that is not a status line fails at once,
    /// without waiting for the rest of the head.
    @Test(arguments: [1, 5, 1000])
    func theHeadIsReadLineByLine(step: Int) {
        let bareLF = Self.parse("HTTP/1.1 200 OK\nX-A: b\nContent-Length: 2\n\nok", step: step)
        #expect(bareLF.count == 1)
        #expect(Self.body(bareLF.first) == "ok")
        if case .response(let response) = bareLF.first {
            #expect(response.headers.map(\.name) == ["X-A", "Content-Length"])
            #expect(response.headers.first(name: "x-a") == "b")
        }
        let notHTTP = Self.parse("SSH-2.0-OpenSSH_9.2\r\n", step: step)
        guard case .failure = notHTTP.last else {
            Issue.record("expected a failure before the head's end, got \(notHTTP)")
            return
        }
        // A head cut short is neither a response nor a failure, however it is split.
        #expect(Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", step: step).isEmpty)
    }

    @Test func anEndlessHeadAndAnOversizedBodyAreRefused() {
        let endless = "HTTP/1.1 200 OK\r\n" + String(repeating: "X-Filler: 0123456789\r\n", count: 4000)
        if case .failure = Self.parse(endless).last {} else { Issue.record("endless head accepted") }
        if case .failure = Self.parse("HTTP/1.1 200 OK\r\nContent-Length: 999999999\r\n\r\n").last {
        } else {
            Issue.record("oversized body accepted")
        }
    }

    @Test func aBodyOfManyTinyChunksDoesNotDeepenTheStack() {
        let chunks = String(repeating: "1\r\nx\r\n", count: 50_000)
        let outcomes = Self.parse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + "0\r\n\r\n")
        #expect(Self.body(outcomes.first)?.count == 50_000)
    }

    /// One buffer: the request line, the headers, `host` unless the request has one, the body's length (whatever
    /// a header said), the body.
    @Test func theEncoderWritesOneRequest() {
        let post = HTTPRequest(
            method: .POST, target: "/orders", headers: ["x-a": "1", "Content-Length": "99"],
            body: ByteBuffer(string: "{}"))
        let bytes = HTTP1RequestEncoder.encode(post, host: "shop:8080", allocator: ByteBufferAllocator())
        #expect(
            String(buffer: bytes)
                == "POST /orders HTTP/1.1\r\nx-a: 1\r\nhost: shop:8080\r\ncontent-length: 2\r\n\r\n{}")
        let get = HTTPRequest(target: "/", headers: ["Host": "other"])
        #expect(
            String(buffer: HTTP1RequestEncoder.encode(get, host: "shop", allocator: ByteBufferAllocator()))
                == "GET / HTTP/1.1\r\nHost: other\r\n\r\n")
        let emptyPut = HTTPRequest(method: .PUT, target: "/cart")
        #expect(
            String(buffer: HTTP1RequestEncoder.encode(emptyPut, host: "shop", allocator: ByteBufferAllocator()))
                == "PUT /cart HTTP/1.1\r\nhost: shop\r\ncontent-length: 0\r\n\r\n")
    }

    /// The head is written into room reserved for an estimate of its size; one past it (long headers, many
    /// of them) is written again into more room, whole, after what the buffer already held.
    @Test func aHeadLongerThanItsEstimateIsWrittenWhole() {
        let long = String(repeating: "v", count: 5_000)
        let headers = HTTPHeaders((0..<40).map { ("x-\($0)", $0 == 7 ? long : "value-\($0)") })
        let request = HTTPRequest(method: .POST, target: "/t", headers: headers, body: ByteBuffer(string: "body"))
        var buffer = ByteBuffer(string: "before|")
        HTTP1RequestEncoder.encode(request, host: "shop", into: &buffer)
        let expected =
            "before|POST /t HTTP/1.1\r\n" + (0..<40).map { "x-\($0): \($0 == 7 ? long : "value-\($0)")\r\n" }.joined()
            + "host: shop\r\ncontent-length: 4\r\n\r\nbody"
        #expect(String(buffer: buffer) == expected)
    }
}
