/// The verdict of a payment-failover drill.
public struct PaymentVerdict: Codable, Sendable, Equatable {
    public var primary: String
    public var faults: [FaultWindow]
    /// Seconds from the start of the first fault on the primary to the first payment that succeeded through
    /// another channel; nil: never, or no fault on the primary (see ``primaryFaulted``).
    public var failoverSeconds: Double?
    /// Seconds from the fault's start until a second's success rate was back within 1% of its level before.
    public var recoverySeconds: Double?
    public var successRateBefore: Double?
    /// What shoppers were told, in all, and while the fault lasted (its window plus the answers it delayed).
    public var paid: Int
    public var failed: Int
    public var unknown: Int
    public var failedDuringFault: Int
    public var unknownDuringFault: Int
    /// Orders charged successfully more than once, and the charges beyond the first.
    public var doubleCharges: Int
    public var extraCharges: Int
    /// Orders charged although the shopper was told the payment failed, or the target's order is unpaid.
    public var orphanCharges: Int
    /// Orders of this run's shoppers told paid, or paid in the target's books, with no successful charge on any
    /// channel: the goods go out and no money comes in (a checkout that takes a lost answer for a success, or
    /// reuses an idempotency key). Nil when the ledgers were not read, and in a report written before it was
    /// checked.
    public var unchargedOrders: Int?
    /// Compensation coupons the target issued.
    public var coupons: Int?
    /// The target's orders by status, as its books list them (nil when not read, and in a report written before
    /// they were counted): a team whose shop says "completed" sees why every charge reads as an orphan.
    public var orderStatuses: [String: Int]?
    /// Successful charges per channel (the simulators' ledgers).
    public var chargesByChannel: [String: Int]
    /// Payments told paid per second, by channel (what the shoppers heard).
    public var channelShare: [ChannelSecond]
    /// The target's own count of its charge attempts per channel, by how each ended (succeeded, declined,
    /// refused, timeout, garbled), when it exposes one.
    public var attempts: [String: [String: Int]]?
    /// False when a ledger or the target's orders could not be read.
    public var verified: Bool
    public var problem: String?

    public struct ChannelSecond: Codable, Sendable, Equatable {
        public var second: Int
        public var paid: [String: Int]
        public var failed: Int
    }

    /// Payments shoppers attempted, whatever came of them. With none there is no evidence either way.
    public var attempted: Int { paid + failed + unknown }

    /// True when the verdict finds double or orphan charges or uncharged orders (it does not when it could not look: see ``verified``).
    public var failedVerdict: Bool { doubleCharges > 0 || orphanCharges > 0 || (unchargedOrders ?? 0) > 0 }

    public var summary: String {
        guard attempted > 0 || failedVerdict else {
            return verified
                ? "no payments attempted" : "UNVERIFIED (\(problem ?? "ledgers missing")): no payments attempted"
        }
        var parts: [String] = []
        parts.append(failover)
        parts.append(recovery)
        parts.append("\(failedDuringFault) failed during the fault")
        parts.append(doubleCharges == 0 ? "no double charges" : "DOUBLE CHARGES \(doubleCharges)")
        parts.append(orphanCharges == 0 ? "no orphan charges" : "ORPHAN CHARGES \(orphanCharges)")
        if let unchargedOrders {
            parts.append(unchargedOrders == 0 ? "no uncharged orders" : "UNCHARGED ORDERS \(unchargedOrders)")
        }
        let text = parts.joined(separator: ", ")
        return verified ? text : "UNVERIFIED (\(problem ?? "ledgers missing")): " + text
    }

    /// Whether a fault hit the primary channel: only then is there a failover to time.
    public var primaryFaulted: Bool { faults.contains { $0.channel == primary } }

    /// "failover after 0.5 s", "failover never", or, when no fault hit the primary (a drill of a backup's outage),
    /// that there was none to make: it read "failover never".
    public var failover: String {
        if let failoverSeconds { return "failover after \(Self.seconds(failoverSeconds))" }
        if let unmeasured = failoverUnmeasured { return "failover not measured (\(unmeasured))" }
        return primaryFaulted || faults.isEmpty ? "failover never" : "no failover to make (no fault on \(primary))"
    }

    /// Why failover cannot be timed though the primary failed: no paid payment said its channel (a payment rule
    /// without `channel`), so a payment through a backup cannot be told from one through the primary.
    public var failoverUnmeasured: String? {
        guard primaryFaulted, failoverSeconds == nil, paid > 0,
            !channelShare.contains(where: { $0.paid.keys.contains { $0 != Self.unnamedChannel } })
        else { return nil }
        return "no payment said its channel: give the pay step's payment rule one, such as channel: $.channel"
    }

    /// The channel of a payment told paid without one, in ``channelShare``.
    static let unnamedChannel = "?"

    /// "recovered after 1.0 s", "recovered never", or, with no payment before the fault to compare with,
    /// "recovery not measured": a fault at the run's first second has no level to recover to, which read "never".
    public var recovery: String {
        if let recoverySeconds { return "recovered after \(Self.seconds(recoverySeconds))" }
        return successRateBefore == nil && !faults.isEmpty
            ? "recovery not measured (no payment before the fault)" : "recovered never"
    }

    static func seconds(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        return "\(rounded) s"
    }
}

/// Joins, per order, what shoppers were told, what the target's books say, and what the channels charged.
public enum PaymentVerifier {
    /// - Parameters:
    ///   - events: what shoppers were told (run seconds in microseconds).
    ///   - charges: every channel's ledger, nil when one could not be read.
    ///   - orders: the target's orders, nil when not read.
    ///   - settle: how long after a fault ends its delayed answers still count as during the fault.
    ///   - channels: the drill's channel names, when known: a shopper told of another (the target says `ali`, the
    ///     drill `alipay`) makes failover unjudgeable, as it is judged by name.
    public static func verdict(
        primary: String, faults: [FaultWindow], events: [PaymentEvent], charges: [ChargeRecord]?,
        orders: [OrderRecord]?,
        attempts: [String: [String: Int]]? = nil, problem: String?, settle: Double = 1, channels: [String]? = nil
    ) -> PaymentVerdict {
        var problem = problem
        if let channels {
            let unknown = Set(events.compactMap { $0.outcome == .paid ? $0.channel : nil }).subtracting(channels)
            if problem == nil, !unknown.isEmpty {
                problem =
                    "shoppers were told of channels the drill does not name: \(unknown.sorted().joined(separator: ", ")) "
                    + "(it names \(channels.joined(separator: ", "))); failover is judged by the channel's name, so "
                    + "name drill.channels as the target's answers do"
            }
        }
        let sorted = events.sorted { $0.at < $1.at }
        let told = Dictionary(sorted.map { ($0.order, $0) }, uniquingKeysWith: { _, last in last })
        let time = { (event: PaymentEvent) in Double(event.at) / 1e6 }
        let faultStart = faults.map(\.from).min()

        // Per second, from the shoppers' side.
        var seconds: [Int: (paid: [String: Int], failed: Int)] = [:]
        for event in sorted {
            let second = Int(time(event).rounded(.down))
            var bucket = seconds[second] ?? ([:], 0)
            if event.outcome == .paid {
                bucket.paid[event.channel ?? PaymentVerdict.unnamedChannel, default: 0] += 1
            } else {
                bucket.failed += 1
            }
            seconds[second] = bucket
        }
        let rate = { (bucket: (paid: [String: Int], failed: Int)) -> Double? in
            let paid = bucket.paid.values.reduce(0, +)
            return paid + bucket.failed > 0 ? Double(paid) / Double(paid + bucket.failed) : nil
        }

        var verdict = PaymentVerdict(
            primary: primary, faults: faults, failoverSeconds: nil, recoverySeconds: nil, successRateBefore: nil,
            paid: sorted.filter { $0.outcome == .paid }.count, failed: sorted.filter { $0.outcome == .failed }.count,
            unknown: sorted.filter { $0.outcome == .unknown }.count, failedDuringFault: 0, unknownDuringFault: 0,
            doubleCharges: 0, extraCharges: 0, orphanCharges: 0, unchargedOrders: nil,
            coupons: orders.map { $0.filter { $0.coupon != nil }.count },
            orderStatuses: orders.map { Dictionary($0.map { ($0.status, 1) }, uniquingKeysWith: +) },
            chargesByChannel: [:],
            channelShare: seconds.keys.sorted().map {
                PaymentVerdict.ChannelSecond(second: $0, paid: seconds[$0]!.paid, failed: seconds[$0]!.failed)
            },
            attempts: attempts, verified: problem == nil && charges != nil, problem: problem)

        if let faultStart {
            let before = sorted.filter { time($0) < faultStart }
            if !before.isEmpty {
                verdict.successRateBefore = Double(before.filter { $0.outcome == .paid }.count) / Double(before.count)
            }
            // Timed from the primary's fault: a backup's earlier outage made every failover look that much slower.
            if let primaryStart = faults.filter({ $0.channel == primary }).map(\.from).min() {
                verdict.failoverSeconds = sorted.first {
                    $0.outcome == .paid && time($0) >= primaryStart && $0.channel != nil && $0.channel != primary
                }.map { time($0) - primaryStart }
            }
            // Inside a fault's window or the answers it delayed: two faults apart leave the gap between them out.
            let during = sorted.filter { event in
                faults.contains { time(event) >= $0.from && time(event) < $0.until + settle }
            }
            verdict.failedDuringFault = during.filter { $0.outcome == .failed }.count
            verdict.unknownDuringFault = during.filter { $0.outcome == .unknown }.count
            if let level = verdict.successRateBefore {
                let first = Int(faultStart.rounded(.down))
                for second in seconds.keys.sorted() where second >= first {
                    if let value = rate(seconds[second]!), value >= level - 0.01 {
                        verdict.recoverySeconds = max(0, Double(second + 1) - faultStart)
                        break
                    }
                }
            }
        }

        if let charges {
            let succeeded = charges.filter(\.succeeded)
            for charge in succeeded { verdict.chargesByChannel[charge.channel, default: 0] += 1 }
            let byOrder = Dictionary(grouping: succeeded, by: \.order)
            let paidOrders = orders.map { Set($0.filter(\.isPaid).map(\.id)) }
            for (order, list) in byOrder {
                if list.count > 1 {
                    verdict.doubleCharges += 1
                    verdict.extraCharges += list.count - 1
                }
                let toldFailed = told[order]?.outcome == .failed
                let unpaid = paidOrders.map { !$0.contains(order) } ?? false
                if toldFailed || unpaid { verdict.orphanCharges += 1 }
            }
            // Only the orders this run's shoppers tried to pay: a target's books may hold others, paid elsewhere.
            verdict.unchargedOrders =
                told.values.filter { event in
                    byOrder[event.order] == nil
                        && (event.outcome == .paid || paidOrders?.contains(event.order) == true)
                }.count
        }
        return verdict
    }
}
