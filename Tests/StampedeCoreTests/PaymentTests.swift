import Testing

@testable import StampedeCore

struct FaultScheduleTests {
    @Test func faultsApplyInsideTheirWindowAndFlapAlternates() {
        let schedule = FaultSchedule([
            ChannelFault(kind: .timeout, from: 10, duration: 5), ChannelFault(kind: .flap, from: 20, duration: 4),
        ])
        #expect(schedule.behaviour(at: 9.99) == nil)
        #expect(schedule.behaviour(at: 10)?.kind == .timeout)
        #expect(schedule.behaviour(at: 14.99)?.kind == .timeout)
        #expect(schedule.behaviour(at: 15) == nil)
        #expect(schedule.behaviour(at: 20.5)?.kind == .error)
        #expect(schedule.behaviour(at: 21.5) == nil)
        #expect(schedule.behaviour(at: 22.5)?.kind == .error)
        #expect(schedule.behaviour(at: 24) == nil)
    }
}

struct DrillScheduleTests {
    /// A fault at profile 02:00 of a day played in 240 s falls at run second 20; each channel gets only its own,
    /// timed from the start.
    @Test func faultsAreTimedOnThePlansClock() throws {
        let plan = try Plan(
            profile: Profile(name: "day", shape: .hourly(Array(repeating: 1, count: 24))),
            scale: RunScale(peakRate: 10, compression: .duration(240)))
        let drill = PaymentDrill(
            channels: [
                .init(name: "alipay", url: "http://127.0.0.1:1"), .init(name: "wechat", url: "http://127.0.0.1:2"),
            ],
            primary: "alipay",
            faults: [PaymentDrill.Fault(channel: "alipay", kind: .slow, at: 7_200, lasting: 2.5, extra: 0.15)])
        #expect(drill.faultWindows(plan: plan) == [FaultWindow(channel: "alipay", kind: .slow, from: 20, until: 22.5)])
        let request = drill.faultsRequest(channel: "alipay", plan: plan, startIn: .milliseconds(1_250))
        #expect(
            request
                == SimulatorAPI.FaultsRequest(
                    faults: [.init(kind: .slow, fromMs: 20_000, forMs: 2_500, extraMs: 150)], startInMs: 1_250))
        #expect(drill.faultsRequest(channel: "wechat", plan: plan, startIn: .zero).faults.isEmpty)
    }
}

struct PaymentVerifierTests {
    static let fault = [FaultWindow(channel: "alipay", kind: .timeout, from: 10, until: 20)]

    static func event(
        _ order: String, _ outcome: PaymentEvent.Outcome, _ channel: String?, at seconds: Double
    ) -> PaymentEvent {
        PaymentEvent(order: order, outcome: outcome, channel: channel, at: UInt64(seconds * 1e6))
    }

    static func charge(_ order: String, _ channel: String, _ id: Int) -> ChargeRecord {
        ChargeRecord(
            id: "\(channel)-\(id)", order: order, amount: 100, idempotencyKey: nil, succeeded: true, channel: channel)
    }

    @Test func failoverRecoveryDoubleAndOrphanCharges() {
        let events = [
            Self.event("1", .paid, "alipay", at: 5), Self.event("2", .paid, "alipay", at: 9.5),
            Self.event("3", .failed, nil, at: 10.6), Self.event("4", .paid, "wechat", at: 10.8),
            Self.event("5", .paid, "wechat", at: 11.2), Self.event("6", .unknown, nil, at: 12.1),
        ]
        let charges = [
            Self.charge("1", "alipay", 1), Self.charge("2", "alipay", 2), Self.charge("3", "alipay", 3),
            Self.charge("4", "alipay", 4), Self.charge("4", "wechat", 1), Self.charge("5", "wechat", 2),
        ]
        let orders = [
            OrderRecord(id: "1", status: "paid", channel: "alipay"),
            OrderRecord(id: "2", status: "paid", channel: "alipay"),
            OrderRecord(id: "3", status: "reserved", coupon: "CPN-1"),
            OrderRecord(id: "4", status: "paid", channel: "wechat"),
            OrderRecord(id: "5", status: "paid", channel: "wechat"), OrderRecord(id: "6", status: "reserved"),
        ]
        let verdict = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: events, charges: charges, orders: orders, problem: nil)
        #expect(abs(verdict.failoverSeconds! - 0.8) < 1e-6)
        #expect(verdict.successRateBefore == 1)
        #expect(verdict.recoverySeconds == 2)  // second 10 had a failure; second 11 was all paid
        #expect(verdict.doubleCharges == 1 && verdict.extraCharges == 1)
        #expect(verdict.orphanCharges == 1)  // order 3: charged, told failed
        #expect(verdict.unchargedOrders == 0)  // order 6: no answer, unpaid, not charged
        #expect(verdict.failedDuringFault == 1 && verdict.unknownDuringFault == 1)
        #expect(verdict.coupons == 1)
        #expect(verdict.chargesByChannel == ["alipay": 4, "wechat": 2])
        #expect(verdict.channelShare.first { $0.second == 11 }?.paid == ["wechat": 1])
        #expect(verdict.summary.contains("DOUBLE CHARGES 1") && verdict.summary.contains("ORPHAN CHARGES 1"))
    }

    /// An order told paid, or paid in the target's books, with no charge anywhere: the goods go out unpaid. Only
    /// the orders this run's shoppers tried to pay count; unread ledgers leave it unknown.
    @Test func anOrderPaidWithNoChargeIsUncharged() {
        let events = [
            Self.event("1", .paid, "alipay", at: 5), Self.event("2", .paid, "alipay", at: 11),
            Self.event("3", .unknown, nil, at: 12), Self.event("4", .failed, nil, at: 13),
        ]
        let orders = [
            OrderRecord(id: "1", status: "paid", channel: "alipay"),
            OrderRecord(id: "2", status: "paid", channel: "alipay"),
            OrderRecord(id: "3", status: "paid", channel: "alipay"), OrderRecord(id: "4", status: "reserved"),
            OrderRecord(id: "old", status: "paid", channel: "alipay"),
        ]
        let verdict = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: events, charges: [Self.charge("1", "alipay", 1)],
            orders: orders, problem: nil)
        #expect(verdict.unchargedOrders == 2, "2: told paid; 3: paid in the books; not 4, nor old")
        #expect(verdict.failedVerdict)
        #expect(verdict.summary.hasSuffix("no orphan charges, UNCHARGED ORDERS 2"))
        let unread = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: events, charges: nil, orders: orders,
            problem: "wechat's ledger: refused")
        #expect(unread.unchargedOrders == nil && !unread.failedVerdict)
        #expect(!unread.summary.contains("uncharged"))
    }

    /// Failover is judged by the channel a shopper was told: a target that calls alipay `ali` had every payment
    /// after the fault read as a failover ("failover after 0.02 s" while the primary kept paying).
    @Test func aChannelTheDrillDoesNotNameMakesItUnverified() {
        let events = [Self.event("1", .paid, "ali", at: 5), Self.event("2", .paid, "ali", at: 10.1)]
        let charges = [Self.charge("1", "alipay", 1), Self.charge("2", "alipay", 2)]
        let named = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: events, charges: charges, orders: nil, problem: nil,
            channels: ["alipay", "wechat"])
        #expect(!named.verified)
        #expect(
            named.summary.hasPrefix(
                "UNVERIFIED (shoppers were told of channels the drill does not name: ali (it names alipay, wechat); "))
        let matching = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault,
            events: events.map {
                var event = $0
                event.channel = "alipay"
                return event
            },
            charges: charges, orders: nil, problem: nil, channels: ["alipay", "wechat"])
        #expect(matching.verified && matching.failoverSeconds == nil)
    }

    /// A fault from the run's first second has no success rate before it to recover to: not "recovered never".
    @Test func aFaultWithNothingBeforeItHasNoRecovery() {
        let fault = [FaultWindow(channel: "alipay", kind: .timeout, from: 0, until: 10)]
        let events = [Self.event("1", .paid, "wechat", at: 0.4), Self.event("2", .paid, "wechat", at: 1.5)]
        let verdict = PaymentVerifier.verdict(
            primary: "alipay", faults: fault, events: events, charges: [], orders: nil, problem: nil)
        #expect(verdict.successRateBefore == nil && verdict.recoverySeconds == nil)
        #expect(
            verdict.summary.hasPrefix("failover after 0.4 s, recovery not measured (no payment before the fault), "))
        let never = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault,
            events: [Self.event("1", .paid, "alipay", at: 5), Self.event("2", .failed, nil, at: 11)],
            charges: [], orders: nil, problem: nil)
        #expect(never.summary.contains("recovered never"))
    }

    /// Failover is timed from the primary's fault: a backup's outage ten seconds earlier added ten seconds to it.
    /// A drill of a backup's outage alone has no failover to make, which read "failover never".
    @Test func failoverIsTimedFromThePrimarysFault() {
        let faults = [
            FaultWindow(channel: "wechat", kind: .error, from: 10, until: 20),
            FaultWindow(channel: "alipay", kind: .timeout, from: 20, until: 30),
        ]
        let events = [
            Self.event("1", .paid, "alipay", at: 5), Self.event("2", .paid, "alipay", at: 12),
            Self.event("3", .paid, "unionpay", at: 20.7),
        ]
        let verdict = PaymentVerifier.verdict(
            primary: "alipay", faults: faults, events: events, charges: [], orders: nil, problem: nil)
        #expect(abs(verdict.failoverSeconds! - 0.7) < 1e-6)
        // Failures between two faults apart are not the faults' doing.
        let apart = [
            FaultWindow(channel: "alipay", kind: .error, from: 10, until: 12),
            FaultWindow(channel: "alipay", kind: .error, from: 30, until: 32),
        ]
        let failures = [11.0, 20, 30.5, 32.5, 40].enumerated().map {
            Self.event("f\($0.offset)", .failed, nil, at: $0.element)
        }
        let gaps = PaymentVerifier.verdict(
            primary: "alipay", faults: apart, events: failures, charges: [], orders: nil, problem: nil)
        #expect(gaps.failedDuringFault == 3, "11, 30.5 and 32.5 (within the second after): not 20, not 40")
        let backupOnly = PaymentVerifier.verdict(
            primary: "alipay", faults: [faults[0]], events: Array(events.prefix(2)), charges: [], orders: nil,
            problem: nil)
        #expect(!backupOnly.primaryFaulted && backupOnly.failoverSeconds == nil)
        #expect(backupOnly.summary.hasPrefix("no failover to make (no fault on alipay), "))
        // Payments that never said their channel cannot show a failover: not "never".
        let unnamed = PaymentVerifier.verdict(
            primary: "alipay", faults: faults,
            events: events.map { PaymentEvent(order: $0.order, outcome: .paid, channel: nil, at: $0.at) },
            charges: [], orders: nil, problem: nil)
        #expect(
            unnamed.summary.hasPrefix(
                "failover not measured (no payment said its channel: give the pay step's payment rule one, such as "
                    + "channel: $.channel), "))
    }

    @Test func noBackupEverIsNever() {
        let events = [Self.event("1", .paid, "alipay", at: 5), Self.event("2", .failed, nil, at: 11)]
        let verdict = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: events, charges: [], orders: nil, problem: nil)
        #expect(verdict.failoverSeconds == nil)
        #expect(verdict.summary.hasPrefix("failover never"))
    }

    @Test func missingLedgersAreUnverified() {
        let verdict = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: [], charges: nil, orders: nil,
            problem: "wechat's ledger: refused")
        #expect(!verdict.verified)
        #expect(verdict.summary.hasPrefix("UNVERIFIED (wechat's ledger: refused)"))
    }

    /// With no payment attempted there is no evidence: never "no double charges".
    @Test func aDrillWithNoPaymentSaysSo() {
        let verdict = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: [], charges: [], orders: [], problem: nil)
        #expect(verdict.verified)
        #expect(verdict.summary == "no payments attempted")
        // Charges with nobody told anything are still findings.
        let orphan = PaymentVerifier.verdict(
            primary: "alipay", faults: Self.fault, events: [], charges: [Self.charge("9", "alipay", 1)],
            orders: [OrderRecord(id: "9", status: "reserved")], problem: nil)
        #expect(orphan.summary.contains("ORPHAN CHARGES 1"))
    }
}
