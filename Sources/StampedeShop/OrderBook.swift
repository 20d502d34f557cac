import Synchronization

/// The shop's orders. An unpaid order can lapse: its units go back on sale.
public final class OrderBook: Sendable {
    public struct Order: Codable, Sendable, Equatable {
        public var id: String
        public var sku: String
        public var quantity: Int
        /// In cents.
        public var amount: Int
        public var status: Status
        public var session: String?
        /// The payment channel and charge, once paid through one.
        public var channel: String?
        public var charge: String?
        /// The compensation coupon issued when a payment failed.
        public var coupon: String?
    }

    public enum Status: String, Codable, Sendable {
        case reserved
        case paid
        /// Not paid in time; its units were released.
        case lapsed
    }

    public enum PayResult: Sendable, Equatable {
        case paid(Order)
        case alreadyPaid
        case lapsed
        case unknown
    }

    private struct State {
        var coupons = 0
        var orders: [String: Order] = [:]
        /// Unpaid orders in the order they were placed, with when.
        var unpaid: [(id: String, placed: ContinuousClock.Instant)] = []
        var next = 1
    }

    private let state = Mutex(State())

    public init() {}

    public func place(sku: String, quantity: Int, amount: Int, session: String?) -> Order {
        state.withLock { state in
            let id = "ord-\(state.next)"
            state.next += 1
            let order = Order(
                id: id, sku: sku, quantity: quantity, amount: amount, status: .reserved, session: session, channel: nil,
                charge: nil, coupon: nil)
            state.orders[id] = order
            state.unpaid.append((id, .now))
            return order
        }
    }

    public func order(_ id: String) -> Order? { state.withLock { $0.orders[id] } }

    public func markPaid(_ id: String, channel: String? = nil, charge: String? = nil) -> PayResult {
        state.withLock { state in
            guard var order = state.orders[id] else { return .unknown }
            switch order.status {
            case .paid: return .alreadyPaid
            case .lapsed: return .lapsed
            case .reserved:
                order.status = .paid
                order.channel = channel
                order.charge = charge
                state.orders[id] = order
                return .paid(order)
            }
        }
    }

    /// A payment failed: the shopper gets a compensation coupon (once per order).
    public func compensate(_ id: String) -> String {
        state.withLock { state in
            if let coupon = state.orders[id]?.coupon { return coupon }
            state.coupons += 1
            let coupon = "CPN-\(state.coupons)"
            state.orders[id]?.coupon = coupon
            return coupon
        }
    }

    /// Cancels an unpaid order (its units are to be released by the caller): it counts as lapsed.
    public func cancel(_ id: String) {
        state.withLock { state in
            guard var order = state.orders[id], order.status == .reserved else { return }
            order.status = .lapsed
            state.orders[id] = order
        }
    }

    /// Every order, by id.
    public var all: [Order] { state.withLock { $0.orders.values.sorted { $0.id < $1.id } } }

    /// Marks unpaid orders placed before `deadline` as lapsed and returns them (their units are to be released).
    public func lapse(placedBefore deadline: ContinuousClock.Instant) -> [Order] {
        state.withLock { state in
            var lapsed: [Order] = []
            var remaining = 0
            for (id, placed) in state.unpaid {
                guard placed < deadline else { break }
                remaining += 1
                guard var order = state.orders[id], order.status == .reserved else { continue }
                order.status = .lapsed
                state.orders[id] = order
                lapsed.append(order)
            }
            state.unpaid.removeFirst(remaining)
            return lapsed
        }
    }

    public func counts() -> (reserved: Int, paid: Int) {
        state.withLock { state in
            state.orders.values.reduce(into: (0, 0)) { counts, order in
                if order.status == .paid { counts.1 += 1 } else if order.status == .reserved { counts.0 += 1 }
            }
        }
    }

    public func reset() { state.withLock { $0 = State() } }
}
