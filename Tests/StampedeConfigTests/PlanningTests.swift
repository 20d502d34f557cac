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

    /// A buyer who thinks 5 s on average, then pays.
    static func thinker() throws -> Scenario {
        try ScenarioLoader.parse(
            """
            name: s
            flows:
              - name: buyer
                steps:
                  - {name: browse, get: /, think: 4s..6s}
                  - {name: pay, get: /pay}
            """, file: "s.yaml")
    }

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
        #expect(abs(forecast.peakShoppersInFlight - (20 * 3 + 2_000)) < 1e-6)
        let quiet = Profile(name: "sale", shape: profile.shape, bursts: [profile.bursts[0]])
        let calm = RunForecast(
            plan: try Plan(profile: quiet, scale: RunScale(peakRate: 20, compression: .speed(1))), scenario: scenario)
        #expect(calm.peakBurst == nil)
        #expect(calm.peakRequestsPerSecond == 20 * calm.requestsPerShopper)
    }

    /// docs/scale.md's paper fleet: 583,000 orders/s through a five-step funnel.
    @Test func theFleetForTheDouble11PeakIsWhatScaleMdWorksOut() {
        let fleet = FleetEstimate(
            peakRequestsPerSecond: 583_000 * 5, shoppersInFlight: 583_000 * 2, steps: 30, connectionsPerWorker: 256,
            assumptions: .measured)
        #expect(fleet.workerCores == 93)  // 2,915,000 / (45,000 × 0.7) = 92.5, rounded up
        #expect(fleet.workers == 47)
        // 40 MiB, a 47th of 1,166,000 thinking shoppers at 350 bytes, and 256 busy connections at 16 KiB.
        #expect(abs(fleet.workerBytes - (40 * 1_048_576 + 1_166_000 / 47 * 350 + 256 * 16_384)) < 1e-6)
        #expect(abs(fleet.coordinatorCPU - 47 * 490e-6) < 1e-12)
        #expect(abs(fleet.coordinatorBytesPerSecondIn - 47 * 12 * 1024) < 1e-6)
        #expect(abs(fleet.runDirectoryBytesPerSecond - 47 * 36 * 1024) < 1e-6)
        #expect(fleet.workersPerCoordinatorCore == 1_836)
        // Twice the steps per interval: twice the coordinator's work and bytes, half the fleet one core holds.
        let wider = FleetEstimate(
            peakRequestsPerSecond: 583_000 * 5, shoppersInFlight: 0, steps: 60, connectionsPerWorker: 256,
            assumptions: .measured)
        #expect(abs(wider.coordinatorCPU - 2 * fleet.coordinatorCPU) < 1e-12)
        #expect(wider.workersPerCoordinatorCore == 918)
        var small = FleetEstimate.Assumptions.measured
        small.coresPerWorker = 8
        #expect(
            FleetEstimate(
                peakRequestsPerSecond: 583_000 * 5, shoppersInFlight: 0, steps: 30, connectionsPerWorker: 256,
                assumptions: small
            ).workers == 12)
    }

    /// A worker's cap (`--max-shoppers`) must hold its share of the peak's shoppers in flight, with a quarter to
    /// spare; otherwise arrivals are dropped and the target sees less than the plan.
    @Test func theCapIsWeighedAgainstTheShoppersAWorkerHoldsAtThePeak() throws {
        let profile = Profile(name: "steady", shape: .stages([Stage(duration: 60, from: 1, to: 1)]))
        let forecast = RunForecast(
            plan: try Plan(profile: profile, scale: RunScale(peakRate: 5_000, compression: .speed(1))),
            scenario: try Self.thinker())
        // 5,000 arrivals a second, each thinking 5 s: 25,000 in flight.
        #expect(abs(forecast.peakShoppersInFlight - 25_000) < 1e-6)
        let one = ShopperCap(forecast: forecast, workers: 1, cap: 10_000)
        #expect(!one.fits)
        #expect(one.suggested == 32_000)  // 25,000 × 1.25 = 31,250, up to a thousand
        #expect(ShopperCap(forecast: forecast, workers: 1, cap: 32_000).fits)
        // 31,250 is the least that fits; a cap just above the shoppers alone does not.
        #expect(ShopperCap(forecast: forecast, workers: 1, cap: 31_250).fits)
        #expect(!ShopperCap(forecast: forecast, workers: 1, cap: 26_000).fits)
        // Four workers share them: 6,250 each, and 10,000 holds that.
        let four = ShopperCap(forecast: forecast, workers: 4, cap: 10_000)
        #expect(abs(four.perWorker - 6_250) < 1e-6)
        #expect(four.fits)
        #expect(four.suggested == 8_000)
    }

    /// Little's law is a steady state. A run shorter than a shopper's 5 s holds only the shoppers it brings, and a
    /// peak that lasts a second of real time (a spike played compressed) holds that second's crowd and the quieter
    /// seconds after it, not five seconds of the peak.
    @Test func theShoppersInFlightAreThoseOfTheBusiestStretchAsLongAsAShopper() throws {
        let scenario = try Self.thinker()
        func forecast(_ stages: [Stage], rate: Double, speed: Double) throws -> RunForecast {
            let profile = Profile(name: "p", shape: .stages(stages))
            return RunForecast(
                plan: try Plan(profile: profile, scale: RunScale(peakRate: rate, compression: .speed(speed))),
                scenario: scenario)
        }
        // 1,000 arrivals a second for 3 s: 3,000, where Little's law says 5,000.
        let short = try forecast([Stage(duration: 3, from: 1, to: 1)], rate: 1_000, speed: 1)
        #expect(abs(short.peakShoppersInFlight - 3_000) < 1e-6)
        // Long enough, it is Little's law.
        let long = try forecast([Stage(duration: 30, from: 1, to: 1)], rate: 1_000, speed: 1)
        #expect(abs(long.peakShoppersInFlight - 5_000) < 1e-6)
        // At 10×: 1 s at 1,000/s, then 10 s at 100/s. The busiest 5 s hold 1,000 + 4 × 100.
        let spike = try forecast(
            [Stage(duration: 10, from: 1, to: 1), Stage(duration: 100, from: 0.1, to: 0.1)], rate: 1_000, speed: 10)
        #expect(abs(spike.peakShoppersInFlight - 1_400) < 1e-6)
        #expect(ShopperCap(forecast: spike, workers: 1, cap: 2_000).fits)
    }
}
