public import StampedeCore
public import StampedePayments
public import StampedeShop

/// A payment drill for tests: three channel simulators, the reference shop paying through them in a mode, and
/// a short run with a fault on the primary.
public enum PaymentDrillFixture {
    public static let channels = ["alipay", "wechat", "unionpay"]

    /// Runs `body` with the three simulators started (and stopped after).
    public static func withChannels<Result: Sendable>(
        latency: Duration = .milliseconds(10), _ body: @Sendable ([ChannelSimulator]) async throws -> Result
    ) async throws -> Result {
        var simulators: [ChannelSimulator] = []
        for name in channels { simulators.append(try await ChannelSimulator.start(name: name, latency: latency)) }
        let result: Swift.Result<Result, any Error>
        do { result = .success(try await body(simulators)) } catch { result = .failure(error) }
        for simulator in simulators { await simulator.stop() }
        return try result.get()
    }

    public static func shop(
        _ simulators: [ChannelSimulator], mode: PaymentMode, timeout: Duration = .milliseconds(300)
    )
        -> ShopConfiguration
    {
        ShopConfiguration(
            payments: PaymentSettings(
                channels: simulators.map { PaymentSettings.Channel(name: $0.name, origin: Origin(url: $0.baseURL)!) },
                mode: mode, timeout: timeout))
    }

    /// `seconds` of checkouts at `rate`/s; the primary shows `fault` from `at` for `lasting` seconds.
    public static func record(
        target: String, simulators: [ChannelSimulator], fault: ChannelFault.Kind, at: Double = 2, lasting: Double = 2.5,
        extra: Double = 0, seconds: Double = 6, rate: Double = 30, workers: Int = 1
    ) -> RunRecord {
        let scenario = Scenario(
            name: "drill-test",
            flows: [
                Flow(
                    name: "checkout",
                    steps: [
                        Step(
                            name: "order", method: "POST", path: Template(literal: "/orders"),
                            body: Template(literal: #"{"sku":"SKU-0001"}"#), contentType: "application/json",
                            extract: [Extraction(variable: "order_id", path: try! ValuePath(parsing: "$.id"))],
                            expect: Expectation(status: [201])),
                        Step(
                            name: "pay", method: "POST", path: try! Template(parsing: "/orders/{{order_id}}/pay"),
                            body: Template(literal: "{}"), contentType: "application/json",
                            expect: Expectation(status: [200]),
                            payment: PaymentRule(
                                order: try! Template(parsing: "{{order_id}}"),
                                channel: try! ValuePath(parsing: "$.channel"))),
                    ])
            ],
            drill: PaymentDrill(
                channels: simulators.map { PaymentDrill.Channel(name: $0.name, url: $0.baseURL) }, primary: channels[0],
                faults: [PaymentDrill.Fault(channel: channels[0], kind: fault, at: at, lasting: lasting, extra: extra)],
                orders: "/admin/orders", attempts: "/admin/payments"))
        return RunRecord(
            id: "drill-\(fault.rawValue)-\(workers)", startedAt: "",
            profile: Profile(name: "drill", shape: .stages([Stage(duration: seconds, from: 1, to: 1)])),
            scenario: scenario,
            scale: RunScale(peakRate: rate, compression: .speed(1)), target: Origin(url: target)!, seed: 5,
            arrivals: .uniform,
            workers: workers, maxShoppers: 10_000, connections: 64)
    }
}
