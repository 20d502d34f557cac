import Foundation
import StampedeCore
import StampedePayments
import StampedeShop
import StampedeTestKit
import Testing

@testable import StampedeCoordinator
@testable import StampedeVerify

/// Drills against the reference shop and three channel simulators: the primary misbehaves for 2.5 s.
@Suite(.serialized, .timeLimit(.minutes(3)))
struct PaymentDrillTests {
    static func drill(
        _ mode: PaymentMode, fault: ChannelFault.Kind, extra: Double = 0, workers: Int = 1
    ) async throws -> (verdict: PaymentVerdict, charges: [ChargeRecord]) {
        try await PaymentDrillFixture.withChannels { simulators in
            try await withReferenceShop(PaymentDrillFixture.shop(simulators, mode: mode)) { _, url in
                let record = PaymentDrillFixture.record(
                    target: url, simulators: simulators, fault: fault, extra: extra, workers: workers)
                let report = try await LocalCluster.run(record: record, .init(workers: workers)).coordinator.report
                let verdict = try #require(report.payments)
                return (verdict, simulators.flatMap(\.charges))
            }
        }
    }

    /// Orders with more than one successful charge, straight from the simulators.
    static func doubleCharged(_ charges: [ChargeRecord]) -> Int {
        Dictionary(grouping: charges.filter(\.succeeded), by: \.order).values.filter { $0.count > 1 }.count
    }

    @Test func naiveFailoverDoubleChargesAndTheDrillCountsThemExactly() async throws {
        let (verdict, charges) = try await Self.drill(.naive, fault: .timeout)
        #expect(verdict.verified, "\(verdict.problem ?? "")")
        #expect(verdict.doubleCharges > 0)
        #expect(verdict.doubleCharges == Self.doubleCharged(charges))
        #expect(verdict.summary.contains("DOUBLE CHARGES \(verdict.doubleCharges)"))
    }

    @Test func safeFailoverNeitherDoubleChargesNorOrphansAndFailsOverQuickly() async throws {
        let (verdict, charges) = try await Self.drill(.safe, fault: .timeout)
        #expect(verdict.verified)
        #expect(verdict.doubleCharges == 0 && Self.doubleCharged(charges) == 0)
        #expect(verdict.orphanCharges == 0)
        let failover = try #require(verdict.failoverSeconds)
        // Below the shop's timeout (0.3 s) plus one retry (another 0.3 s).
        #expect(failover < 0.6, "failover after \(failover) s")
        #expect(verdict.failedDuringFault == 0)
        #expect(verdict.attempts?["alipay"]?["timeout", default: 0] ?? 0 > 0)
        #expect((verdict.chargesByChannel["wechat"] ?? 0) > 0)
    }

    @Test func withoutFailoverPaymentsFailForTheWholeFaultAndFailoverIsNever() async throws {
        let (verdict, _) = try await Self.drill(.none, fault: .timeout)
        #expect(verdict.failoverSeconds == nil)
        #expect(verdict.summary.contains("failover never"))
        // 2.5 s at 30 checkouts a second: every payment started inside the fault failed (answers up to 0.3 s late).
        #expect(verdict.failedDuringFault >= 65, "\(verdict.failedDuringFault) failed")
        #expect(verdict.failed == verdict.failedDuringFault)
        #expect((verdict.coupons ?? 0) == verdict.failed)
        // The primary charged and timed out: the shoppers were told it failed.
        #expect(verdict.orphanCharges == verdict.failed)
    }

    @Test func aRefusingChannelIsClassifiedAsRefusedNotAsATimeout() async throws {
        let (verdict, charges) = try await Self.drill(.safe, fault: .refuse)
        let primary = verdict.attempts?["alipay"] ?? [:]
        #expect(primary["refused", default: 0] > 0, "\(primary)")
        #expect(primary["timeout", default: 0] == 0)
        #expect(verdict.failedDuringFault == 0)
        #expect(verdict.doubleCharges == 0 && verdict.orphanCharges == 0)
        #expect(Self.doubleCharged(charges) == 0)
    }

    @Test func aChannelAnsweringGarbageIsClassifiedAsGarbled() async throws {
        let (verdict, _) = try await Self.drill(.safe, fault: .garbage)
        let primary = verdict.attempts?["alipay"] ?? [:]
        #expect(primary["garbled", default: 0] > 0, "\(primary)")
        #expect(primary["timeout", default: 0] == 0)
        #expect(verdict.failedDuringFault == 0)
        #expect(verdict.doubleCharges == 0 && verdict.orphanCharges == 0)
    }

    /// A shop that takes a garbled answer for a success tells shoppers "paid" for charges the channel never made:
    /// the drill counts those orders as uncharged, and fails the verdict.
    @Test func anOptimisticShopSendsGoodsUnpaidAndTheDrillSaysSo() async throws {
        let (verdict, charges) = try await Self.drill(.optimistic, fault: .garbage)
        #expect(verdict.verified, "\(verdict.problem ?? "")")
        let charged = Set(charges.filter(\.succeeded).map(\.order))
        #expect(verdict.paid > charged.count, "\(verdict.paid) told paid, \(charged.count) charged")
        #expect(verdict.unchargedOrders == verdict.paid - charged.count)
        #expect(verdict.failedVerdict && verdict.doubleCharges == 0 && verdict.orphanCharges == 0)
        #expect(verdict.summary.hasSuffix("UNCHARGED ORDERS \(verdict.unchargedOrders ?? 0)"))
    }

    @Test func aSlowButSuccessfulChannelIsNotAFailure() async throws {
        let (verdict, _) = try await Self.drill(.safe, fault: .slow, extra: 0.15)
        let primary = verdict.attempts?["alipay"] ?? [:]
        #expect(primary.keys.sorted() == ["succeeded"], "\(primary)")
        #expect(verdict.failed == 0 && verdict.failedDuringFault == 0)
        #expect(verdict.failoverSeconds == nil)
        #expect(verdict.chargesByChannel.keys.sorted() == ["alipay"])
    }

    @Test func threeWorkersGiveTheSameFigures() async throws {
        let (verdict, charges) = try await Self.drill(.naive, fault: .timeout, workers: 3)
        #expect(verdict.doubleCharges > 0)
        #expect(verdict.doubleCharges == Self.doubleCharged(charges))
        #expect(verdict.paid == 180)
        #expect(verdict.chargesByChannel.values.reduce(0, +) == charges.filter(\.succeeded).count)
    }
}

/// What the drill reads after the run, and where.
struct DrillReadingTests {
    /// A channel behind an adapter that routes by prefix (`http://gateway:9000/alipay`) is reset, armed and read
    /// under that prefix: its admin calls went to the gateway's root, which an adapter does not serve.
    @Test func adminCallsGoUnderTheChannelsPath() throws {
        let target = try #require(Origin(url: "http://127.0.0.1:8080"))
        for (base, path) in [
            ("http://127.0.0.1:9001", "/admin/ledger"), ("http://127.0.0.1:9001/", "/admin/ledger"),
            ("http://gateway:9000/alipay", "/alipay/admin/ledger"),
            ("http://gateway:9000/pay/alipay/?v=1", "/pay/alipay/admin/ledger"),
        ] {
            let resolved = try #require(TargetURL.resolve("/admin/ledger", under: base, target: target))
            #expect(resolved.path == path, "\(base)")
            #expect(resolved.origin != target)
        }
    }
}

extension DrillReadingTests {
    /// Orders whose shop says `order_id` were dropped, and the drill counted every charge an orphan (ORPHAN CHARGES
    /// for each, exit 2); an order with no status read as unpaid. Now the orders are unreadable, and say why.
    @Test func ordersWithoutAnIDOrAStatusAreUnreadableAndSaySo() throws {
        func read(_ json: String) -> Result<[OrderRecord], DrillConductor.OrdersProblem> {
            DrillConductor.orders(JSONValue(parsing: Array(json.utf8)))
        }
        let fine = try read(
            #"{"orders": [{"id": 7, "status": "PAID", "channel": "alipay"}, {"id": "o-2", "status": "reserved"}]}"#
        ).get()
        #expect(fine.map(\.id) == ["7", "o-2"] && fine[0].isPaid && fine[1].channel == nil)
        #expect(try read(#"{"orders": []}"#).get().isEmpty)
        let expected = #"expected {"orders": [{"id", "status", "channel", "coupon"}]}"#
        #expect(
            read(#"{"orders": [{"order_id": 7, "state": "paid"}]}"#)
                == .failure(.init("orders[0] has no id (its fields: order_id, state); " + expected)))
        #expect(
            read(#"{"orders": [{"id": 7, "status": "paid"}, {"id": 8}]}"#)
                == .failure(.init("orders[1] has no status (its fields: id); " + expected)))
        #expect(read(#"[{"id": 7}]"#) == .failure(.init(expected)))
    }
}
