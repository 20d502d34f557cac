import StampedeCore
import Testing

@testable import StampedeWorker

/// A shopper's variables: the built-ins as fields, the rest by name; every name answers as one dictionary would.
struct ShopperVariablesTests {
    @Test func builtInsAndNamedVariablesAnswerByName() {
        var variables = ShopperVariables(shopper: "42", flow: "buyer")
        #expect(variables["shopper"] == .text("42"))
        #expect(variables["flow"] == .text("buyer"))
        #expect(variables["sku"] == nil)
        variables["sku"] = .text("A-1")
        variables["count"] = .number("3")
        #expect(variables["sku"] == .text("A-1"))
        #expect(variables["count"] == .number("3"))
        variables["sku"] = nil
        #expect(variables["sku"] == nil)
        #expect(variables.shopper == "42")
    }

    @Test func aLiteralSortsTheBuiltInsFromTheRest() {
        let variables: ShopperVariables = ["shopper": .text("7"), "id": .text("a/b"), "flow": .text("f")]
        #expect(variables == ShopperVariables(shopper: "7", flow: "f", named: ["id": .text("a/b")]))
        let empty: ShopperVariables = [:]
        #expect(empty["shopper"] == .text(""))
        #expect(empty["id"] == nil)
    }

    /// What a shopper starts with, drawn by the runtime: its number, its flow, and a value of each data list.
    @Test func aShopperStartsWithItsNumberFlowAndData() throws {
        let scenario = Scenario(
            name: "s", data: [DataList(name: "sku", values: ["only"])],
            flows: [Flow(name: "buyer", weight: 1, steps: [])])
        let runtime = ScenarioRuntime(scenario: scenario, origin: Origin(url: "http://127.0.0.1:8080")!)
        var random = SeededRandom(seed: 1)
        let variables = try #require(runtime.initialVariables(Arrival(index: 9, time: 0), flow: 0, &random))
        #expect(variables["shopper"] == .text("9"))
        #expect(variables["flow"] == .text("buyer"))
        #expect(variables["sku"] == .text("only"))
    }
}
