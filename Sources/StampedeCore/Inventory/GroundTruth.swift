/// Where the target's own books are read: the proof of an oversell is in them, not in the harness's belief.
public struct GroundTruthSpec: Codable, Sendable, Equatable {
    public enum Source: Codable, Sendable, Equatable {
        /// A JSON endpoint: `url` (absolute, or a path on the target), `items` the path to the array of SKUs,
        /// and the names of each item's fields.
        case http(
            url: String, items: ValuePath, sku: String, stock: String, sold: String, reserved: String?,
            released: String? = nil)
        /// A PostgreSQL query returning rows of (sku, stock, sold[, reserved[, released]]); the database URL comes
        /// from the named environment variable and is never printed.
        case sql(urlEnvironment: String, query: String)
    }

    public var source: Source
    /// Seconds between readings during the run (0: only before and after).
    public var every: Double
    /// Seconds to wait after the run before the final reading (let the target settle).
    public var settle: Double
    /// Seconds the target holds the units of an unpaid order before it gives them back, when it says: units
    /// still reserved by orders older than this, after shoppers were told "sold out", are leaked.
    public var hold: Double?

    public init(source: Source, every: Double = 2, settle: Double = 0, hold: Double? = nil) {
        self.source = source
        self.every = every
        self.settle = settle
        self.hold = hold
    }
}

/// One SKU in the target's books.
public struct BookEntry: Codable, Sendable, Equatable {
    /// Units the target can still sell.
    public var stock: Int
    /// Units sold (paid).
    public var sold: Int
    /// Units held by unpaid orders, when the books say.
    public var reserved: Int?
    /// Units given back (so far) by orders that lapsed unpaid or were cancelled, when the books say: an order
    /// confirmed and then released is in the books, not a phantom.
    public var released: Int?

    public init(stock: Int, sold: Int, reserved: Int? = nil, released: Int? = nil) {
        self.stock = stock
        self.sold = sold
        self.reserved = reserved
        self.released = released
    }
}

/// A reading of the target's books.
public struct InventoryBooks: Codable, Sendable, Equatable {
    /// Run seconds when read (negative: before the start).
    public var second: Double
    public var items: [String: BookEntry]

    public init(second: Double, items: [String: BookEntry]) {
        self.second = second
        self.items = items
    }
}

extension InventoryBooks {
    /// Reads books from a JSON document by the spec's paths; a message says what is missing.
    public static func parse(
        json: [UInt8], items path: ValuePath, sku: String, stock: String, sold: String, reserved: String?,
        released: String? = nil, second: Double
    ) -> Result<InventoryBooks, GroundTruthError> {
        guard let document = JSONValue(parsing: json) else {
            return .failure(GroundTruthError("the ground truth is not JSON"))
        }
        guard case .array(let elements)? = document.value(at: path) else {
            return .failure(GroundTruthError("expected an array at \(path.source) in the ground truth"))
        }
        var items: [String: BookEntry] = [:]
        for (index, element) in elements.enumerated() {
            guard case .object(let fields) = element else {
                return .failure(GroundTruthError("item \(index) of the ground truth is not an object"))
            }
            let lookup = { (name: String) in fields.last { $0.0 == name }?.1 }
            guard let name = lookup(sku)?.scalarText else {
                return .failure(GroundTruthError("item \(index) of the ground truth has no \"\(sku)\""))
            }
            guard let stockValue = lookup(stock)?.integer, let soldValue = lookup(sold)?.integer else {
                return .failure(
                    GroundTruthError("\(name) in the ground truth lacks a number \"\(stock)\" or \"\(sold)\""))
            }
            items[name] = BookEntry(
                stock: stockValue, sold: soldValue, reserved: reserved.flatMap { lookup($0)?.integer },
                released: released.flatMap { lookup($0)?.integer })
        }
        return .success(InventoryBooks(second: second, items: items))
    }
}

public struct GroundTruthError: Error, Sendable, Equatable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

extension JSONValue {
    /// The first value a path selects, if any.
    public func value(at path: ValuePath) -> JSONValue? {
        path.values(in: self).first
    }

    /// A whole number, from a JSON number (or a string holding one).
    public var integer: Int? {
        switch self {
        case .number(let text), .string(let text):
            Int(text) ?? Double(text).flatMap { $0 == $0.rounded() ? Int(exactly: $0) : nil }
        default: nil
        }
    }
}
