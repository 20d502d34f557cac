import Synchronization

/// The shop's orders.
public final class OrderBook: Sendable {
    public struct Order: Codable, Sendable, Equatable {
        public var id: String
        public var sku: String
        public var quantity: Int
        /// In cents.
        public var amount: Int
        public var status: Status
        public var session: String?
    }

    public enum Status: String, Codable, Sendable {
        case reserved
        case paid
    }

    public enum PayResult: Sendable, Equatable {
        case paid(Order)
        case alreadyPaid
        case unknown
    }

    private struct State {
        var orders: [String: Order] = [:]
        var next = 1
    }

    private let state = Mutex(State())

    public init() {}

    public func place(sku: String, quantity: Int, amount: Int, session: String?) -> Order {
        state.withLock { state in
            let id = "ord-\(state.next)"
            state.next += 1
            let order = Order(id: id, sku: sku, quantity: quantity, amount: amount, status: .reserved, session: session)
            state.orders[id] = order
            return order
        }
    }

    public func order(_ id: String) -> Order? { state.withLock { $0.orders[id] } }

    public func markPaid(_ id: String) -> PayResult {
        state.withLock { state in
            guard var order = state.orders[id] else { return .unknown }
            guard order.status == .reserved else { return .alreadyPaid }
            order.status = .paid
            state.orders[id] = order
            return .paid(order)
        }
    }

    public func counts() -> (reserved: Int, paid: Int) {
        state.withLock { state in
            state.orders.values.reduce(into: (0, 0)) { counts, order in
                if order.status == .paid { counts.1 += 1 } else { counts.0 += 1 }
            }
        }
    }

    public func reset() { state.withLock { $0 = State() } }
}
