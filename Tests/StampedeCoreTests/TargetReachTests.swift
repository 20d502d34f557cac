import StampedeCore
import Testing

/// A target that not one request has reached is given up on after the patience; one that answered once never is.
struct TargetReachTests {
    static let browse = StepID(flow: 0, step: 0)

    /// One worker's second: `requests` sent, `refused` of them failed to connect, the rest answered 500.
    static func second(_ second: Int, requests: Int, refused: Int, worker: String = "w1") -> IntervalReport {
        var counts = RequestCounts()
        counts.requests = requests
        counts.failed = requests
        counts.errors[.connect] = refused > 0 ? refused : nil
        counts.errors[.status5xx] = requests > refused ? requests - refused : nil
        return IntervalReport(
            worker: worker, second: second,
            steps: requests == 0
                ? []
                : [StepRecord(slot: 0, step: browse, counts: counts, corrected: .init(), uncorrected: .init())],
            samples: refused == 0
                ? []
                : [
                    ErrorSample(
                        step: browse, label: .connect,
                        detail: "GET /products: cannot connect to http://127.0.0.1:9: connection refused",
                        at: UInt64(second) * 1_000_000 + 5)
                ])
    }

    @Test func everyRequestRefusedForThePatienceGivesUpAndSaysWhatTheyMet() {
        var reach = TargetReach(patience: 10)
        // The ramp sends nothing in its first seconds: the patience counts from the first request.
        reach.add(Self.second(0, requests: 0, refused: 0))
        reach.add(Self.second(1, requests: 0, refused: 0))
        for second in 2...11 { reach.add(Self.second(second, requests: 20, refused: 20)) }
        #expect(!reach.reached)
        #expect(reach.firstSecond == 2)
        #expect(reach.giveUp(atSecond: 11.9) == nil)
        let why = try? #require(reach.giveUp(atSecond: 12))
        #expect(
            why
                == "not one of 200 requests in 10 s could open a connection (GET /products: cannot connect to "
                + "http://127.0.0.1:9: connection refused): is it up, at that address? (--unreached-after waits "
                + "longer)")
    }

    /// Any answer, an error status included, is the target reached: a later outage is what a rehearsal is for.
    @Test func oneAnswerReachesTheTargetForGood() {
        var reach = TargetReach(patience: 2)
        reach.add(Self.second(0, requests: 10, refused: 9))
        #expect(reach.reached)
        for second in 1...30 { reach.add(Self.second(second, requests: 10, refused: 10)) }
        #expect(reach.reached)
        #expect(reach.giveUp(atSecond: 31) == nil)
    }

    /// Two workers: one whose requests all fail to connect, and one that reaches the target late in its second.
    @Test func workersAreCountedTogether() {
        var reach = TargetReach(patience: 3)
        reach.add(Self.second(4, requests: 5, refused: 5, worker: "w1"))
        reach.add(Self.second(3, requests: 5, refused: 5, worker: "w2"))
        #expect(reach.firstSecond == 3)
        #expect(reach.giveUp(atSecond: 6) != nil)
        reach.add(Self.second(5, requests: 5, refused: 4, worker: "w2"))
        #expect(reach.giveUp(atSecond: 6) == nil)
    }

    /// A certificate not trusted, a TLS handshake that fails, a protocol the target will not speak: no request
    /// opened a connection either.
    @Test func aConnectionThatCouldNotBeOpenedForTLSIsNotReached() {
        var reach = TargetReach(patience: 1)
        var interval = Self.second(0, requests: 3, refused: 0)
        interval.steps[0].counts.errors = [.certificate: 1, .tls: 1, .protocolMismatch: 1]
        reach.add(interval)
        #expect(!reach.reached)
        #expect(reach.giveUp(atSecond: 1) != nil)
        interval.steps[0].counts.errors = [.certificate: 2, .status4xx: 1]
        reach.add(interval)
        #expect(reach.reached)
    }

    /// A target that takes connections and never answers on them (a hung process, a port that is not HTTP): every
    /// request times out, is reset or gets bytes that are not HTTP. It has not answered either, and the reason says
    /// so, with the first such request's detail.
    @Test func connectionsOpenedButNeverAnsweredAreNotReached() {
        var reach = TargetReach(patience: 10)
        var interval = Self.second(10, requests: 4, refused: 0)
        interval.steps[0].counts.errors = [.timeout: 2, .reset: 1, .protocol: 1]
        interval.samples = [
            ErrorSample(step: Self.browse, label: .reset, detail: "GET /products: connection reset", at: 10_000_900),
            ErrorSample(
                step: Self.browse, label: .timeout, detail: "GET /products: no complete response within 10 s",
                at: 10_000_100),
        ]
        reach.add(interval)
        #expect(!reach.reached)
        #expect(reach.giveUp(atSecond: 19) == nil)
        #expect(
            reach.giveUp(atSecond: 20)
                == "not one of 4 requests in 10 s had an answer (GET /products: no complete response within 10 s): "
                + "does it answer HTTP at that address? (--unreached-after waits longer)")
        // A blackholed port: connections that time out opening, and requests that time out waiting for one. The
        // connection's failure is the one to show.
        var blackholed = Self.second(11, requests: 3, refused: 1)
        blackholed.steps[0].counts.errors[.status5xx] = nil
        blackholed.steps[0].counts.errors[.timeout] = 2
        reach.add(blackholed)
        #expect(reach.sample?.label == .connect)
        #expect(
            reach.giveUp(atSecond: 20)?.hasSuffix(": is it up, at that address? (--unreached-after waits longer)")
                == true)
        // One answer, even an error status, and it never gives up.
        reach.add(Self.second(12, requests: 2, refused: 1))
        #expect(reach.reached)
        #expect(reach.giveUp(atSecond: 30) == nil)
    }

    @Test func noPatienceNeverGivesUp() {
        var reach = TargetReach(patience: 0)
        reach.add(Self.second(0, requests: 100, refused: 100))
        #expect(!reach.reached)
        #expect(reach.giveUp(atSecond: 3_600) == nil)
    }
}
