import Synchronization

/// What the storefront remembers between requests: accounts, sessions (who is signed in), CSRF secrets and
/// baskets. Sessions and baskets are forgotten on a reset; accounts are not.
public final class StorefrontState: Sendable {
    /// Where accounts come from: a list (`--accounts FILE`), or the built-in rule that every
    /// `shopper<N>@storefront.test` with password `secret-<N>` (N from 1 to `count`) exists.
    public enum Accounts: Sendable, Equatable {
        case generated(count: Int)
        case list([String: String])

        public func accepts(email: String, password: String) -> Bool {
            switch self {
            case .list(let accounts): return accounts[email] == password
            case .generated(let count):
                guard email.hasPrefix("shopper"), email.hasSuffix("@storefront.test"),
                    let number = Int(email.dropFirst("shopper".count).dropLast("@storefront.test".count)),
                    (1...count).contains(number)
                else { return false }
                return password == Self.password(number)
            }
        }

        /// The built-in rule's account `number`.
        public static func email(_ number: Int) -> String { "shopper\(number)@storefront.test" }
        public static func password(_ number: Int) -> String { "secret-\(number)" }
    }

    public struct Basket: Sendable, Equatable {
        public var id: Int
        /// SKU and quantity, in the order added.
        public var lines: [(sku: String, quantity: Int)]

        public static func == (lhs: Basket, rhs: Basket) -> Bool {
            lhs.id == rhs.id && lhs.lines.elementsEqual(rhs.lines) { $0 == $1 }
        }
    }

    private struct State {
        /// Session id → the signed-in email.
        var sessions: [String: String] = [:]
        /// Session id → its basket.
        var baskets: [String: Basket] = [:]
        var nextBasket = 1
        var nextToken: UInt64 = 0x5EED_0000_0001
        /// Every sign-in's account, in order.
        var signedIn: [String] = []
    }

    public let accounts: Accounts
    private let state = Mutex(State())

    public init(accounts: Accounts) {
        self.accounts = accounts
    }

    /// A fresh opaque token (a CSRF secret or a session id): unguessable enough for a test shop, cheap to make.
    func token() -> String {
        state.withLock { state in
            state.nextToken = state.nextToken &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let high = String(state.nextToken >> 16, radix: 36)
            return String(repeating: "0", count: max(0, 13 - high.count)) + high
                + String(UInt64.random(in: 0..<(1 << 40)), radix: 36)
        }
    }

    /// Signs an account in: a new session id.
    func signIn(email: String) -> String {
        let session = token()
        state.withLock { state in
            state.sessions[session] = email
            state.signedIn.append(email)
        }
        return session
    }

    /// The account of every sign-in since the last reset, in order.
    public var signedIn: [String] { state.withLock { $0.signedIn } }

    func email(session: String?) -> String? {
        guard let session else { return nil }
        return state.withLock { $0.sessions[session] }
    }

    /// The session's basket (made on first use).
    func basket(session: String) -> Basket {
        state.withLock { state in
            if let basket = state.baskets[session] { return basket }
            let basket = Basket(id: state.nextBasket, lines: [])
            state.nextBasket += 1
            state.baskets[session] = basket
            return basket
        }
    }

    func add(sku: String, quantity: Int, session: String) -> Basket {
        _ = basket(session: session)
        return state.withLock { state in
            var basket = state.baskets[session]!
            if let index = basket.lines.firstIndex(where: { $0.sku == sku }) {
                basket.lines[index].quantity += quantity
            } else {
                basket.lines.append((sku, quantity))
            }
            state.baskets[session] = basket
            return basket
        }
    }

    /// Empties the session's basket (after a checkout); its next one has a new id.
    func submit(session: String) {
        state.withLock { $0.baskets[session] = nil }
    }

    func reset() {
        state.withLock { state in
            state.sessions = [:]
            state.baskets = [:]
            state.signedIn = []
        }
    }
}
