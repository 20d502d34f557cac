public import StampedeCore

/// A flash sale against the reference shop, for tests: a crowd for one SKU, its ledger and the shop's books.
public enum FlashSale {
    public static let sku = "FLASH-T"

    /// The shop's books over HTTP; `hold` is the shop's reservation hold, when the verdict may claim leaks.
    public static func books(hold: Double? = nil) -> GroundTruthSpec {
        GroundTruthSpec(
            source: .http(
                url: "/admin/inventory", items: try! ValuePath(parsing: "$.skus"), sku: "sku", stock: "stock",
                sold: "sold", reserved: "reserved", released: "released"),
            every: 1, settle: 0.3, hold: hold)
    }

    /// Product page, order (the ledger: 201 confirms, 409 is sold out), then pay with probability `paying`.
    public static func scenario(stock: Int, paying: Double = 1, groundTruth: GroundTruthSpec? = books()) -> Scenario {
        Scenario(
            name: "flash-test",
            flows: [
                Flow(name: "idle", weight: 1, steps: [Step(name: "health", path: Template(literal: "/health"))]),
                Flow(
                    name: "flash-buyer", weight: 0,
                    steps: [
                        Step(name: "product", path: try! Template(parsing: "/products/{{sku}}")),
                        Step(
                            name: "order", method: "POST", path: Template(literal: "/orders"),
                            body: try! Template(parsing: #"{"sku":"{{sku}}","qty":1}"#),
                            contentType: "application/json",
                            extract: [Extraction(variable: "order_id", path: try! ValuePath(parsing: "$.id"))],
                            expect: Expectation(status: [201]), proceed: paying,
                            ledger: LedgerRule(
                                sku: try! Template(parsing: "{{sku}}"), soldOut: Expectation(status: [409]))),
                        Step(
                            name: "pay", method: "POST", path: try! Template(parsing: "/orders/{{order_id}}/pay"),
                            body: Template(literal: "{}"), contentType: "application/json"),
                    ]),
            ],
            setup: [
                Step(
                    name: "reset", method: "POST", path: Template(literal: "/admin/reset"),
                    body: Template(literal: #"{"stock":{"\#(sku)":\#(stock)}}"#), contentType: "application/json")
            ],
            groundTruth: groundTruth)
    }

    /// Three seconds of a trickle, and at one second a crowd arriving within `within` seconds.
    public static func record(
        target: String, crowd: Int = 2_000, stock: Int = 100, within: Double = 1, paying: Double = 1, workers: Int = 1,
        groundTruth: GroundTruthSpec? = books()
    ) -> RunRecord {
        let profile = Profile(
            name: "flash-test", shape: .stages([Stage(duration: 3, from: 1, to: 1)]),
            bursts: [
                Burst(
                    label: "test sale", at: 1, crowd: crowd, within: within, flow: "flash-buyer", sku: sku, stock: stock
                )
            ])
        return RunRecord(
            id: "flash-\(crowd)-\(stock)-\(workers)-\(Int(paying * 100))", startedAt: "", profile: profile,
            scenario: scenario(stock: stock, paying: paying, groundTruth: groundTruth),
            scale: RunScale(peakRate: 5, compression: .speed(1)), target: Origin(url: target)!, seed: 11,
            arrivals: .uniform,
            workers: workers, maxShoppers: 10_000, connections: 64)
    }
}
