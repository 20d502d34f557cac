import Foundation
import NIOCore
import NIOHTTP1
import StampedeCore
import StampedeHTTP
import StampedePayments
import StampedeTestKit
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ChannelSimulatorTests {
    static func charge(
        _ client: HTTPClient, _ origin: Origin, order: String, key: String? = nil, timeout: Duration = .seconds(2)
    )
        async throws -> HTTPResponse
    {
        var body = #"{"order":"\#(order)","amount":100"#
        if let key { body += #","idempotency_key":"\#(key)""# }
        body += "}"
        return try await client.execute(
            HTTPRequest(
                method: .POST, target: "/charge", headers: ["content-type": "application/json"],
                body: ByteBuffer(string: body)), to: origin, timeout: timeout)
    }

    /// A charge that must get no answer: refused, or its connection closed.
    static func expectRefused(_ client: HTTPClient, _ origin: Origin, order: String) async {
        do {
            _ = try await charge(client, origin, order: order)
            Issue.record("a refusing channel answered")
        } catch {
            let code = (error as? HTTPClientError)?.code
            #expect(code == .connect || code == .reset, "\(error)")
        }
    }

    static func setFaults(_ client: HTTPClient, _ origin: Origin, _ json: String) async throws {
        let response = try await client.execute(
            HTTPRequest(method: .POST, target: "/admin/faults", body: ByteBuffer(string: json)), to: origin,
            timeout: .seconds(2))
        #expect(response.status == 200)
    }

    @Test func chargesAreIdempotentByKeyAndQueryable() async throws {
        let simulator = try await ChannelSimulator.start(name: "alipay", latency: .milliseconds(2))
        try await withHTTPClient { client in
            let origin = Origin(url: simulator.baseURL)!
            #expect(try await Self.charge(client, origin, order: "o1", key: "k1").status == 200)
            #expect(try await Self.charge(client, origin, order: "o1", key: "k1").status == 200)
            #expect(try await Self.charge(client, origin, order: "o1").status == 200)
            #expect(simulator.charges.filter { $0.order == "o1" }.count == 2)
            let status = try await client.execute(HTTPRequest(target: "/charges/o1"), to: origin, timeout: .seconds(2))
            #expect(String(buffer: status.body).contains("alipay-1"))
        }
        await simulator.stop()
    }

    /// A key reused for another order or amount is refused (409), as gateways refuse it: answering with the first
    /// charge told a checkout that the second order was paid, with nothing charged for it. A body a gateway cannot
    /// take is refused with the field that is wrong, and charges nothing.
    @Test func aKeyNamesOneChargeAndABodyIsReadAsAGatewayReadsIt() async throws {
        let simulator = try await ChannelSimulator.start(name: "alipay", latency: .milliseconds(1))
        try await withHTTPClient { client in
            let origin = Origin(url: simulator.baseURL)!
            func post(_ body: String) async throws -> (Int, String) {
                let response = try await client.execute(
                    HTTPRequest(method: .POST, target: "/charge", body: ByteBuffer(string: body)), to: origin,
                    timeout: .seconds(2))
                let fields = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))
                return (response.status, (fields as? [String: Any])?["error"] as? String ?? "")
            }
            #expect(try await Self.charge(client, origin, order: "o1", key: "k").status == 200)
            let reused = try await Self.charge(client, origin, order: "o2", key: "k")
            #expect(reused.status == 409)
            #expect(String(buffer: reused.body).contains("was used for order o1 (amount 100), and this is order o2"))
            let (status, body) = try await post(#"{"order": "o1", "amount": 999, "idempotency_key": "k"}"#)
            #expect(status == 409 && body.contains("(amount 999)"))
            for (body, words) in [
                (
                    #"{"order": "o3"}"#,
                    "amount: expected a whole number of cents, 0 or more, such as 1250, found nothing"
                ),
                (#"{"order": "o3", "amount": 12.5}"#, "found 12.5"), (#"{"order": "o3", "amount": -5}"#, "found -5"),
                (#"{"order": "o3", "amount": true}"#, "found true"),
                (#"{"order": "o3", "amount": "1250"}"#, #"found "1250""#),
                (
                    #"{"order": "", "amount": 1}"#,
                    #"order: expected the order's id, such as "o-1", found an empty string"#
                ),
                (#"{"amount": 1}"#, "found nothing"),
                (#"{"order": "o3", "amount": 1, "idempotency_key": 7}"#, "idempotency_key: expected a string, found 7"),
                ("not json", "expected a JSON object such as"),
            ] {
                let (status, answer) = try await post(body)
                #expect(status == 400, "\(body)")
                #expect(answer.contains(words), "\(body): \(answer)")
            }
            #expect(try await post(#"{"order": 42, "amount": 0}"#).0 == 200)
            #expect(simulator.charges.map(\.order) == ["o1", "42"])
            #expect(simulator.charges.map(\.amount) == [100, 0])
        }
        await simulator.stop()
    }

    /// The drill's schedule plays on the simulator's clock: here a manual one, moved by the test.
    @Test func faultsFollowTheScheduleOnTheSimulatorsClock() async throws {
        let clock = ManualClock()
        let simulator = try await ChannelSimulator.start(name: "unionpay", latency: .milliseconds(1), clock: clock)
        try await withHTTPClient { client in
            let origin = Origin(url: simulator.baseURL)!
            let request = SimulatorAPI.FaultsRequest(
                faults: [.init(kind: .error, fromMs: 2_000, forMs: 1_500)], startInMs: 1_000)
            try await Self.setFaults(client, origin, String(decoding: try JSONEncoder().encode(request), as: UTF8.self))
            // The run starts 1 s from now; the error lasts from 2 s to 3.5 s of the run: 3 s to 4.5 s from now.
            var statuses: [Int] = []
            var elapsed: Int64 = 0
            for offset in [0, 2_900, 3_100, 4_400, 4_600] as [Int64] {
                clock.advance(by: .milliseconds(offset - elapsed))
                elapsed = offset
                statuses.append(try await Self.charge(client, origin, order: "s\(offset)").status)
            }
            #expect(statuses == [200, 200, 503, 503, 200])
        }
        await simulator.stop()
    }

    @Test func faultsBehaveAsNamed() async throws {
        let simulator = try await ChannelSimulator.start(name: "wechat", latency: .milliseconds(2))
        try await withHTTPClient { client in
            let origin = Origin(url: simulator.baseURL)!
            // A timeout charges and never answers.
            try await Self.setFaults(
                client, origin, #"{"faults":[{"kind":"timeout","from_ms":0,"for_ms":60000}],"start_in_ms":0}"#)
            await #expect(throws: HTTPClientError.self) {
                _ = try await Self.charge(client, origin, order: "t1", timeout: .milliseconds(300))
            }
            #expect(simulator.charges.contains { $0.order == "t1" && $0.succeeded })
            // An error answers 503 and charges nothing.
            try await Self.setFaults(
                client, origin, #"{"faults":[{"kind":"error","from_ms":0,"for_ms":60000}],"start_in_ms":0}"#)
            #expect(try await Self.charge(client, origin, order: "e1").status == 503)
            #expect(!simulator.charges.contains { $0.order == "e1" })
            // Garbage is not HTTP.
            try await Self.setFaults(
                client, origin, #"{"faults":[{"kind":"garbage","from_ms":0,"for_ms":60000}],"start_in_ms":0}"#)
            do {
                _ = try await Self.charge(client, origin, order: "g1")
                Issue.record("garbage was accepted as a response")
            } catch {
                let code = (error as? HTTPClientError)?.code
                #expect(code == .protocol || code == .reset)
            }
            // Refusing: nobody listens.
            try await Self.setFaults(
                client, origin, #"{"faults":[{"kind":"refuse","from_ms":0,"for_ms":1000}],"start_in_ms":0}"#)
            try await Task.sleep(for: .milliseconds(100))
            await Self.expectRefused(client, origin, order: "r1")
            // After the refusal it listens again.
            try await Task.sleep(for: .milliseconds(1_200))
            #expect(try await Self.charge(client, origin, order: "ok").status == 200)
        }
        await simulator.stop()
    }

    /// A `refuse` fault refuses new connections; a charge the channel had already taken is answered, and charged,
    /// before its connection closes (so a drill's payments failed by the fault do not depend on one being in flight
    /// as it began).
    @Test func aRefusalAnswersTheChargeInFlightAndRefusesTheNext() async throws {
        let simulator = try await ChannelSimulator.start(name: "alipay", latency: .milliseconds(400))
        try await withHTTPClient { client in
            let origin = Origin(url: simulator.baseURL)!
            async let inFlight = Self.charge(client, origin, order: "f1")
            try await Task.sleep(for: .milliseconds(100))
            try await Self.setFaults(
                client, origin, #"{"faults":[{"kind":"refuse","from_ms":0,"for_ms":5000}],"start_in_ms":0}"#)
            #expect(try await inFlight.status == 200)
            #expect(simulator.charges.contains { $0.order == "f1" && $0.succeeded })
            try await Task.sleep(for: .milliseconds(100))
            await Self.expectRefused(client, origin, order: "f2")
            #expect(!simulator.charges.contains { $0.order == "f2" })
        }
        await simulator.stop()
    }
}
