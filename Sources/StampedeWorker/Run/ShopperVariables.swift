import StampedeCore

/// A shopper's variables by name: its two built-ins (`shopper`, `flow`) as fields, the rest (data lists,
/// feeders, a burst's `sku`, what it took from responses) in a dictionary. A shopper whose scenario has no other
/// variables, the most common and the cheapest kind, has an empty one: no allocation when it arrives, and no
/// name hashed per request (an empty dictionary answers without hashing).
struct ShopperVariables: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    /// The shopper's number, as text.
    var shopper: String
    var flow: String
    private var named: Variables

    init(shopper: String, flow: String, named: Variables = [:]) {
        self.shopper = shopper
        self.flow = flow
        self.named = named
    }

    /// Every variable at once, the built-ins among them (a test's shopper).
    init(dictionaryLiteral elements: (String, VariableValue)...) {
        var named = Variables(elements, uniquingKeysWith: { $1 })
        shopper = named.removeValue(forKey: "shopper")?.text ?? ""
        flow = named.removeValue(forKey: "flow")?.text ?? ""
        self.named = named
    }

    /// A variable's value; nil when the shopper has none of that name. Setting a built-in changes it (the loader
    /// refuses them as names of extracted variables, so only a burst or a test does).
    subscript(name: String) -> VariableValue? {
        get {
            switch name {
            case "shopper": .text(shopper)
            case "flow": .text(flow)
            default: named[name]
            }
        }
        set {
            switch name {
            case "shopper": shopper = newValue?.text ?? ""
            case "flow": flow = newValue?.text ?? ""
            default: named[name] = newValue
            }
        }
    }
}
