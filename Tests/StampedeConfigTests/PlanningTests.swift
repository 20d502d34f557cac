import StampedeConfig
import Testing

@testable import StampedeCore

/// `stampede plan`: what a rehearsal sends, and the fleet it takes.
struct PlanningTests {
    static let scenario = """
        name: funnel
        flows:
          - name: buyer
            weight: 3
            steps:
              - {name: browse, get: /products, repeat: 1..3, think: 1s}
              - {name: order, post: /orders, proceed: 0.5, think: 2s}
              - {name: pay, post: /pay}
          - name: looker
            weight: 1
            steps:
              - {name: browse, get: /products}
        """

    /// 100 s at 10 arrivals/s then 100 s at 20/s: 3,000 shoppers, three quarters of them buyers.
    @Test func theForecastFollowsTheFunnelThePeriodsAndThePeak() throws {
        let profile = Profile(
            name: "two",
            shape: .stages([Stage(duration: 100, from: 0.5, to: 0.5), Stage(duration: 100, from: 1, to: 1)]))
        let plan = try Plan(profile: profile, scale: RunScale(peakRate: 20, compression: .speed(1)))
        let forecast = RunForecast(plan: plan, scenario: try ScenarioLoader.parse(Self.scenario, file: "funnel.yaml"))
        #expect(abs(forecast.shoppers - 3_000) < 1e-6)
        let perShopper = Dictionary(
            uniqueKeysWithValues: forecast.steps.map { ("\($0.flow)/\($0.step)", $0.perShopper) })
        // browse twice on average, every buyer orders, half of them pay.
        #expect(perShopper == ["buyer/browse": 2, "buyer/order": 1, "buyer/pay": 0.5, "looker/browse": 1])
        let totals = Dictionary(uniqueKeysWithValues: forecast.steps.map { ("\($0.flow)/\($0.step)", $0.total) })
        #expect(abs(totals["buyer/pay"]! - 2_250 * 0.5) < 1e-6)
        #expect(abs(totals["looker/browse"]! - 750) < 1e-6)
        #expect(abs(forecast.requestsPerShopper - (0.75 * 3.5 + 0.25)) < 1e-9)
        #expect(forecast.periods.map(\.shoppers).map { $0.rounded() } == [1_000, 2_000])
        #expect(abs(forecast.periods.map(\.requests).reduce(0, +) - 3_000 * forecast.requestsPerShopper) < 1e-6)
        #expect(forecast.peakRequestsPerSecond == 20 * forecast.requestsPerShopper)
        // A buyer thinks 1 s after each of two browses and 2 s after ordering: 4 s; a looker not at all.
        #expect(abs(forecast.shopperSeconds - 0.75 * 4) < 1e-9)
    }

    /// A flash sale's crowd is the peak when it sends more than the shape's busiest second: 2,000 buyers at once,
    /// each through a flow of 3.5 requests over 4 s, on top of 20 arrivals/s. A small, slow crowd in the quiet
    /// half (10 arrivals/s) is not.
    @Test func aBurstThatSendsMoreThanTheShapeIsThePeak() throws {
        let scenario = try ScenarioLoader.parse(Self.scenario, file: "funnel.yaml")
        let profile = Profile(
            name: "sale",
            shape: .stages([Stage(duration: 100, from: 0.5, to: 0.5), Stage(duration: 100, from: 1, to: 1)]),
            bursts: [
                Burst(label: "slow", at: 50, crowd: 10, within: 60, flow: "looker", sku: "A", stock: 1),
                Burst(label: "gate", at: 150, crowd: 2_000, within: 0, flow: "buyer", sku: "B", stock: 100),
            ])
        let plan = try Plan(profile: profile, scale: RunScale(peakRate: 20, compression: .speed(1)))
        let forecast = RunForecast(plan: plan, scenario: scenario)
        #expect(forecast.peakBurst == "gate")
        #expect(abs(forecast.peakArrivalsPerSecond - 2_020) < 1e-9)
        // The shape's 20/s at 2.875 requests each, and the crowd's 7,000 requests over its 4 s flow.
        #expect(abs(forecast.peakRequestsPerSecond - (20 * 2.875 + 2_000 * 3.5 / 4)) < 1e-9)
        // The shape's 20/s for its 3 s, and the whole crowd.
        #expect(abs(forecast.peakShoppersInFlight - (20 * 3 + 2_000)) < 1e-9)
        let quiet = Profile(name: "sale", shape: profile.shape, bursts: [profile.bursts[0]])
        let calm = RunForecast(
            plan: try Plan(profile: quiet, scale: RunScale(peakRate: 20, compression: .speed(1))), scenario: scenario)
        #expect(calm.peakBurst == nil)
        #expect(calm.peakRequestsPerSecond == 20 * calm.requestsPerShopper)
    }

    /// docs/scale.md's paper fleet: 583,000 orders/s through a five-step funnel.
    @Test func theFleetForTheDouble11PeakIsWhatScaleMdWorksOut() {
        let fleet = FleetEstimate(
            peakRequestsPerSecond: 583_000 * 5, shoppersInFlight: 583_000 * 2, steps: 30, assumptions: .measured)
        #expect(fleet.workerCores == 129)  // 2,915,000 / (32,500 × 0.7) = 128.1, rounded up
        #expect(fleet.workers == 65)
        #expect(abs(fleet.coordinatorCPU - 65 * 490e-6) < 1e-12)
        #expect(abs(fleet.coordinatorBytesPerSecondIn - 65 * 12 * 1024) < 1e-6)
        #expect(abs(fleet.runDirectoryBytesPerSecond - 65 * 36 * 1024) < 1e-6)
        #expect(fleet.workersPerCoordinatorCore == 1_836)
        // Twice the steps per interval: twice the coordinator's work and bytes, half the fleet one core holds.
        let wider = FleetEstimate(
            peakRequestsPerSecond: 583_000 * 5, shoppersInFlight: 0, steps: 60, assumptions: .measured)
        #expect(abs(wider.coordinatorCPU - 2 * fleet.coordinatorCPU) < 1e-12)
        #expect(wider.workersPerCoordinatorCore == 918)
        var small = FleetEstimate.Assumptions.measured
        small.coresPerWorker = 8
        #expect(
            FleetEstimate(peakRequestsPerSecond: 583_000 * 5, shoppersInFlight: 0, steps: 30, assumptions: small)
                .workers == 17)
    }
}
