import Foundation
import StampedeCore
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// Runs and checks the coordinator suites share.
enum TestSupport {
    /// A steady run of one flow of GETs, uniform arrivals (so a split plan is still exactly the plan).
    static func record(
        seconds: Double, rate: Double, target: String, paths: [String] = ["/products"], workers: Int = 3
    ) -> RunRecord {
        RunRecord(
            id: "cluster-\(UUID().uuidString.prefix(8))", startedAt: "",
            profile: Profile(name: "steady", shape: .stages([Stage(duration: seconds, from: 1, to: 1)])),
            scenario: TestPlans.gets(paths), scale: RunScale(peakRate: rate, compression: .speed(1)),
            target: Origin(url: target)!, seed: 3, arrivals: .uniform, workers: workers, maxShoppers: 10_000,
            connections: 16)
    }

    /// A steady run through the real path: a coordinator and one worker over loopback gRPC.
    static func rehearse(
        seconds: Double, rate: Double, scenario: Scenario, target: String, arrivals: ArrivalProcess = .uniform,
        maxShoppers: Int = 10_000, connections: Int = 64, seed: UInt64 = 1, stopAfter: Duration? = nil,
        runs: String? = nil, timeout: Duration = .seconds(5), transport: TargetTransport? = nil,
        during: (@Sendable (LocalCluster.Context) async -> Void)? = nil
    ) async throws -> RunReport {
        let profile = Profile(name: "steady", shape: .stages([Stage(duration: seconds, from: 1, to: 1)]))
        let record = RunRecord(
            id: "test-\(seed)-\(Int(rate))-\(UUID().uuidString.prefix(6))", startedAt: "", profile: profile,
            scenario: scenario, scale: RunScale(peakRate: rate, compression: .speed(1)), target: Origin(url: target)!,
            seed: seed, arrivals: arrivals, workers: 1, maxShoppers: maxShoppers, connections: connections,
            transport: transport)
        let settings = CoordinatorSettings(
            expectedWorkers: 1, startDelay: LocalCluster.startDelay, maxShoppersPerWorker: maxShoppers,
            connectionsPerWorker: connections, requestTimeout: timeout)
        let result = try await LocalCluster.run(record: record, .init(workers: 1, settings: settings, runs: runs)) {
            context in
            await during?(context)
            guard let stopAfter else { return }
            try? await Task.sleep(for: stopAfter)
            context.coordinator.stop()
        }
        return result.coordinator.report
    }

    /// Every arrival, shopper and request ends exactly one way.
    static func expectAccounted(_ report: RunReport, sourceLocation: SourceLocation = #_sourceLocation) {
        let shoppers = report.totals.shoppers
        #expect(shoppers.planned == shoppers.started + shoppers.dropped, sourceLocation: sourceLocation)
        #expect(
            shoppers.started == shoppers.succeeded + shoppers.failed + shoppers.throttled,
            sourceLocation: sourceLocation)
        let requests = report.totals.requests
        #expect(requests.requests == requests.ok + requests.failed + requests.throttled, sourceLocation: sourceLocation)
        for period in report.periods {
            #expect(
                period.shoppers.planned == period.shoppers.started + period.shoppers.dropped,
                sourceLocation: sourceLocation)
        }
    }
}

/// A value one task sets and another reads.
actor Box<Value: Sendable> {
    var value: Value
    init(_ value: Value) { self.value = value }
    func set(_ newValue: Value) { value = newValue }
}
