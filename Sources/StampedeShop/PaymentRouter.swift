import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
public import ServiceLifecycle
public import StampedeCore
import StampedeHTTP
import Synchronization

/// How the shop pays through its channels.
public struct PaymentSettings: Sendable {
    public struct Channel: Sendable, Equatable {
        public var name: String
        public var origin: Origin

        public init(name: String, origin: Origin) {
            self.name = name
            self.origin = origin
        }
    }

    /// The primary first, then the backups in order.
    public var channels: [Channel]
    public var mode: PaymentMode
    /// How long a charge may take before the shop gives up on it.
    public var timeout: Duration
    /// The status query's own limit (safe mode).
    public var statusTimeout: Duration
    /// Consecutive failures that open a channel's circuit breaker, and how long it stays open (safe mode).
    public var breakerThreshold: Int
    public var breakerCooldown: Duration

    public init(
        channels: [Channel], mode: PaymentMode = .safe, timeout: Duration = .milliseconds(500),
        statusTimeout: Duration = .milliseconds(300), breakerThreshold: Int = 3, breakerCooldown: Duration = .seconds(2)
    ) {
        self.channels = channels
        self.mode = mode
        self.timeout = timeout
        self.statusTimeout = statusTimeout
        self.breakerThreshold = breakerThreshold
        self.breakerCooldown = breakerCooldown
    }
}

/// How the shop fails over when its primary channel misbehaves.
public enum PaymentMode: String, Sendable, CaseIterable {
    /// One idempotency key per order; after a charge with no clear answer, ask the channel whether it charged
    /// before charging anywhere else; a circuit breaker skips a failing primary for a while.
    case safe
    /// On any failure, charge the next channel at once: a primary that charged and timed out means a double
    /// charge.
    case naive
    /// The primary only.
    case none
    /// An answer that never came, or came garbled, is taken for a success ("it probably went through"): a channel
    /// that garbled its answer and charged nothing sends the goods unpaid (the drill's uncharged orders).
    case optimistic
}

/// Charges orders through the channels, as `PaymentMode` says; counts every attempt by how it ended (a charge
/// that timed out and was then confirmed by a status query counts once as `timeout`, once as
/// `confirmed_by_status`).
public final class PaymentRouter: Service, Sendable {
    public enum Outcome: Sendable, Equatable {
        case paid(channel: String, charge: String)
        case failed(reason: String)
    }

    /// How one charge attempt ended.
    enum Attempt: String, Sendable {
        case succeeded
        /// The channel said no (an HTTP error status): nothing was charged.
        case declined
        /// No connection: nothing was charged.
        case refused
        /// No answer in time: it may have charged.
        case timeout
        /// An answer that is not HTTP, or a dropped connection: it may have charged.
        case garbled
        /// After a timeout or a garbled answer, the status query said the charge went through.
        case confirmedByStatus = "confirmed_by_status"

        var isAmbiguous: Bool { self == .timeout || self == .garbled }
    }

    public let settings: PaymentSettings
    private let client: HTTPClient
    private let attempts = Mutex<[String: [String: Int]]>([:])
    private let breakers = Mutex<[String: (failures: Int, openUntil: ContinuousClock.Instant?)]>([:])

    public init(settings: PaymentSettings) {
        self.settings = settings
        self.client = HTTPClient(
            configuration: HTTPClientConfiguration(maxConnectionsPerOrigin: 64, connectTimeout: .milliseconds(500)),
            eventLoopGroup: MultiThreadedEventLoopGroup.singleton)
    }

    public func run() async throws {
        try? await gracefulShutdown()
        await client.shutDown()
    }

    /// Attempts per channel, by how they ended (what `GET /admin/payments` shows).
    public var attemptCounts: [String: [String: Int]] { attempts.withLock { $0 } }

    public func pay(order: String, amount: Int) async -> Outcome {
        let candidates: [PaymentSettings.Channel] =
            settings.mode == .none ? Array(settings.channels.prefix(1)) : settings.channels
        var reasons: [String] = []
        for (position, channel) in candidates.enumerated() {
            let isLast = position == candidates.count - 1
            if settings.mode == .safe, !isLast, breakerOpen(channel.name) {
                reasons.append("\(channel.name): circuit open")
                continue
            }
            let (attempt, charge) = await self.charge(channel, order: order, amount: amount)
            count(channel.name, attempt)
            if attempt == .succeeded {
                closeBreaker(channel.name)
                return .paid(channel: channel.name, charge: charge ?? "")
            }
            if settings.mode == .optimistic, attempt.isAmbiguous {
                return .paid(channel: channel.name, charge: "")
            }
            recordFailure(channel.name)
            reasons.append("\(channel.name): \(attempt.rawValue)")
            guard settings.mode == .safe, attempt.isAmbiguous else { continue }
            // Before charging anywhere else: did this channel charge?
            switch await status(channel, order: order) {
            case .charged(let id):
                count(channel.name, .confirmedByStatus)
                return .paid(channel: channel.name, charge: id)
            case .notCharged:
                continue
            case .unknown:
                return .failed(reason: "payment state unknown at \(channel.name); not charging elsewhere")
            }
        }
        return .failed(reason: reasons.joined(separator: "; "))
    }

    private func charge(_ channel: PaymentSettings.Channel, order: String, amount: Int) async -> (Attempt, String?) {
        var body: [String: Any] = ["order": order, "amount": amount]
        if settings.mode == .safe { body["idempotency_key"] = "order-\(order)" }
        let data = (try? JSONSerialization.data(withJSONObject: body)) ?? Data()
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        do {
            let response = try await client.execute(
                HTTPRequest(method: .POST, target: "/charge", headers: headers, body: ByteBuffer(bytes: data)),
                to: channel.origin, timeout: settings.timeout)
            guard (200..<300).contains(response.status) else { return (.declined, nil) }
            let fields =
                (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView))) as? [String: Any]
            return (.succeeded, fields?["charge_id"] as? String)
        } catch {
            switch error.code {
            case .connect: return (.refused, nil)
            case .timeout: return (.timeout, nil)
            default: return (.garbled, nil)
            }
        }
    }

    private enum Status {
        case charged(String)
        case notCharged
        case unknown
    }

    private func status(_ channel: PaymentSettings.Channel, order: String) async -> Status {
        do {
            let response = try await client.execute(
                HTTPRequest(target: "/charges/\(order)"), to: channel.origin, timeout: settings.statusTimeout)
            guard response.status == 200,
                let fields = (try? JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)))
                    as? [String: Any],
                let charges = fields["charges"] as? [[String: Any]]
            else { return .unknown }
            if let charged = charges.first(where: { ($0["succeeded"] as? Bool) == true }) {
                return .charged(charged["charge_id"] as? String ?? "")
            }
            return .notCharged
        } catch {
            return .unknown
        }
    }

    private func count(_ channel: String, _ attempt: Attempt) {
        attempts.withLock { $0[channel, default: [:]][attempt.rawValue, default: 0] += 1 }
    }

    private func breakerOpen(_ channel: String) -> Bool {
        breakers.withLock { breakers in
            guard let until = breakers[channel]?.openUntil else { return false }
            if ContinuousClock.now >= until {
                // Half-open: let one attempt through; a failure opens the breaker again.
                breakers[channel] = (settings.breakerThreshold - 1, nil)
                return false
            }
            return true
        }
    }

    private func recordFailure(_ channel: String) {
        breakers.withLock { breakers in
            var state = breakers[channel] ?? (0, nil)
            state.failures += 1
            if state.failures >= settings.breakerThreshold { state.openUntil = .now + settings.breakerCooldown }
            breakers[channel] = state
        }
    }

    private func closeBreaker(_ channel: String) {
        breakers.withLock { $0[channel] = (0, nil) }
    }
}
