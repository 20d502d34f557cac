import Foundation

/// `POST /charge`'s body as a gateway reads it: `{"order": "o-1", "amount": 1250, "idempotency_key": "order-o-1"}`.
/// A body it cannot take is refused with the field that is wrong, as a gateway answers an adapter that sends
/// yuan as a decimal, or no amount at all (charging 0 for it would hide the mistake until the books are read).
struct ChargeRequest: Equatable {
    var order: String
    /// Cents.
    var amount: Int
    var idempotencyKey: String?

    static func parse(_ body: [UInt8]) -> Result<ChargeRequest, Problem> {
        guard let fields = try? JSONDecoder().decode([String: Scalar].self, from: Data(body)) else {
            return .failure(Problem("expected a JSON object such as \(example)"))
        }
        let order: String
        switch fields["order"] {
        case .text(let text) where !text.isEmpty: order = text
        case .whole(let number): order = String(number)
        case let other: return .failure(Problem("order: expected the order's id, such as \"o-1\"", found: other))
        }
        guard case .whole(let amount) = fields["amount"], amount >= 0 else {
            return .failure(
                Problem("amount: expected a whole number of cents, 0 or more, such as 1250", found: fields["amount"]))
        }
        var key: String? = nil
        switch fields["idempotency_key"] {
        case nil, .null?: break
        case .text(let text)? where !text.isEmpty: key = text
        case let other: return .failure(Problem("idempotency_key: expected a string", found: other))
        }
        return .success(ChargeRequest(order: order, amount: amount, idempotencyKey: key))
    }

    static let example = #"{"order": "o-1", "amount": 1250, "idempotency_key": "order-o-1"}"#

    /// What is wrong with a body, as the answer's `error`.
    struct Problem: Error, Equatable {
        var message: String

        init(_ message: String) { self.message = message }

        init(_ expectation: String, found: Scalar?) {
            message = expectation + ", found " + (found?.description ?? "nothing")
        }
    }

    /// A JSON value as the body's fields can be: a whole number is told apart from 12.5 and from true.
    enum Scalar: Decodable, Equatable, CustomStringConvertible {
        case null
        case flag(Bool)
        case whole(Int)
        case fraction(Double)
        case text(String)
        case compound

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if container.decodeNil() {
                self = .null
            } else if let flag = try? container.decode(Bool.self) {
                self = .flag(flag)
            } else if let whole = try? container.decode(Int.self) {
                self = .whole(whole)
            } else if let fraction = try? container.decode(Double.self) {
                self = .fraction(fraction)
            } else if let text = try? container.decode(String.self) {
                self = .text(text)
            } else {
                self = .compound
            }
        }

        var description: String {
            switch self {
            case .null: "null"
            case .flag(let flag): "\(flag)"
            case .whole(let number): "\(number)"
            case .fraction(let number): "\(number)"
            case .text(let text): text.isEmpty ? "an empty string" : "\"\(text)\""
            case .compound: "an object or a list"
            }
        }
    }
}
