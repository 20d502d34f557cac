import Synchronization

/// Carts by session id (the `sid` cookie).
public final class Carts: Sendable {
    public struct Line: Codable, Sendable, Equatable {
        public var sku: String
        public var quantity: Int
    }

    private struct State {
        var carts: [String: [Line]] = [:]
        var nextSession = 1
    }

    private let state = Mutex(State())

    public init() {}

    public func newSession() -> String {
        state.withLock { state in
            defer { state.nextSession += 1 }
            return "s\(state.nextSession)"
        }
    }

    public func add(sku: String, quantity: Int, session: String) -> [Line] {
        state.withLock { state in
            var lines = state.carts[session] ?? []
            if let index = lines.firstIndex(where: { $0.sku == sku }) {
                lines[index].quantity += quantity
            } else {
                lines.append(Line(sku: sku, quantity: quantity))
            }
            state.carts[session] = lines
            return lines
        }
    }

    public func lines(session: String) -> [Line] { state.withLock { $0.carts[session] ?? [] } }

    public func reset() { state.withLock { $0 = State() } }
}
