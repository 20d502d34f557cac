public import ArgumentParser
import Foundation
import StampedeCore

/// `stampede plan`: what a rehearsal will send, and the fleet it takes — before anything is sent.
public struct PlanCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Print what a rehearsal will send (per step, per hour, at the peak) and the fleet it needs.",
        discussion: """
            Takes the same plan options as `stampede run` and sends nothing. The fleet comes from what one \
            worker core does (--per-core, requests a second; the default is the five-step funnel measured in \
            docs/scale.md — measure yours with scripts/bench), planned at --headroom of it.
            """)

    @OptionGroup var plan: PlanOptions
    @Option(help: "Requests a second one worker core sustains on this flow (docs/scale.md, scripts/bench).")
    var perCore = FleetEstimate.Assumptions.measured.requestsPerCore
    @Option(help: "The share of --per-core to plan for (70%).") var headroom = "70%"
    @Option(help: "Cores per worker (a pod's CPU limit).") var coresPerWorker = 2

    public init() {}

    public func run() async throws {
        try await failing("stampede plan", Self.self) { try work() }
    }

    private func work() throws {
        let share =
            headroom.hasSuffix("%") ? Double(headroom.dropLast()).map { $0 / 100 } : Double(headroom)
        guard let share, share > 0, share <= 1 else {
            throw ValidationError("--headroom: expected a share such as 70%, found \"\(headroom)\"")
        }
        guard perCore > 0, coresPerWorker > 0 else {
            throw ValidationError("--per-core and --cores-per-worker must be above 0")
        }
        var options = plan
        options.allowRemote = true  // nothing is sent
        let (record, built) = try options.run(workers: 1)
        let forecast = RunForecast(plan: built, scenario: record.scenario)
        var assumptions = FleetEstimate.Assumptions.measured
        assumptions.requestsPerCore = perCore
        assumptions.headroom = share
        assumptions.coresPerWorker = coresPerWorker
        let steps = record.scenario.flows.reduce(0) { $0 + $1.steps.count }
        let fleet = FleetEstimate(
            peakRequestsPerSecond: forecast.peakRequestsPerSecond,
            shoppersInFlight: forecast.peakShoppersInFlight, steps: steps,
            connectionsPerWorker: record.connectionsPerWorkerAtMost, assumptions: assumptions)
        let cap = ShopperCap(forecast: forecast, workers: fleet.workers, cap: record.maxShoppers)
        print(
            PlanReport.text(
                plan: built, forecast: forecast, fleet: fleet, cap: cap, assumptions: assumptions,
                drill: record.scenario.drill))
    }
}

/// The plan command's text.
enum PlanReport {
    static func count(_ value: Double) -> String { value.formatted(.number.precision(.fractionLength(0))) }
    static func one(_ value: Double) -> String { value.formatted(.number.precision(.fractionLength(0...1))) }
    /// A count that may be a fraction: 0.17 arrivals/s is "0.17", not "0".
    static func amount(_ value: Double) -> String {
        value >= 10 ? count(value) : value.formatted(.number.precision(.significantDigits(1...2)))
    }
    static func bytes(_ value: Double) -> String {
        let gigabyte = Double(1 << 30)
        let megabyte = Double(1 << 20)
        return value >= gigabyte ? one(value / gigabyte) + " GB" : one(value / megabyte) + " MB"
    }

    static func row(_ name: String, _ first: String, _ second: String) -> String {
        "  " + name.padding(toLength: 30, withPad: " ", startingAt: 0) + first.leftPadded(11) + second.leftPadded(14)
    }

    static func text(
        plan: Plan, forecast: RunForecast, fleet: FleetEstimate, cap: ShopperCap,
        assumptions: FleetEstimate.Assumptions, drill: PaymentDrill? = nil
    )
        -> String
    {
        var lines: [String] = []
        lines.append(
            "Plan: \(plan.profile.name), \(count(plan.duration)) s at \(one(plan.speed))x, peak "
                + "\(amount(forecast.peakArrivalsPerSecond)) arrivals/s"
                + (plan.arrivalsEnd > plan.duration
                    ? "; a crowd still arrives until \(one(plan.arrivalsEnd)) s, and the run waits for it" : ""))
        lines.append(
            "Shoppers: \(amount(forecast.shoppers)) from the shape, \(count(Double(forecast.burstShoppers))) in bursts; "
                + "\(one(forecast.requestsPerShopper)) requests and \(one(forecast.shopperSeconds)) s of thinking each")
        lines.append("")
        lines.append(row("Requests per step", "per shopper", "total"))
        for step in forecast.steps {
            lines.append(row("\(step.flow)/\(step.step)", one(step.perShopper), count(step.total)))
        }
        lines.append("")
        lines.append(row("Per period", "shoppers", "requests"))
        for period in forecast.periods {
            lines.append(row(period.label, count(period.shoppers), count(period.requests)))
        }
        lines.append("")
        lines.append(
            "At the peak second" + (forecast.peakBurst.map { " (the burst \"\($0)\")" } ?? "") + ": "
                + "\(count(forecast.peakArrivalsPerSecond)) arrivals, "
                + "\(count(forecast.peakRequestsPerSecond)) requests, \(count(fleet.shoppersInFlight)) shoppers "
                + "thinking or waiting")
        lines.append("")
        if let drill {
            // When each fault strikes in the run, so that a drill's operator knows when to watch.
            lines.append(
                "Payment drill: primary \(drill.primary); channels "
                    + drill.channels.map { "\($0.name) \($0.url)" }.joined(separator: ", ")
                    + " (reset before the run, their ledgers read after it)")
            for (fault, window) in zip(drill.faults, drill.faultWindows(plan: plan)) {
                lines.append(
                    "  \(fault.channel) \(fault.kind.rawValue) from \(one(window.from)) s to \(one(window.until)) s of "
                        + "the run (\(ProfileClock.instant(fault.at)) on the profile clock)")
            }
            lines.append("")
        }
        let rate = count(assumptions.requestsPerCore)
        let headroom = count(assumptions.headroom * 100)
        lines.append(
            "Fleet (\(rate) requests/s per core at \(headroom) %, \(assumptions.coresPerWorker) cores per worker):")
        lines.append("  worker cores        \(fleet.workerCores)")
        lines.append("  workers             \(fleet.workers), each about \(bytes(fleet.workerBytes))")
        lines.append(
            "  shoppers at once    \(count(cap.perWorker)) a worker at the peak"
                + (cap.fits
                    ? ", within --max-shoppers \(count(Double(cap.cap)))"
                    : ": run with --max-shoppers \(cap.suggested) (it is \(count(Double(cap.cap))); "
                        + "arrivals beyond it are dropped)"))
        let coordinatorCPU = one(fleet.coordinatorCPU * 100)
        lines.append(
            "  coordinator         \(coordinatorCPU) % of one core, \(bytes(fleet.coordinatorBytes)); one core "
                + "holds about \(fleet.workersPerCoordinatorCore) workers of this scenario")
        lines.append("  coordinator network \(one(fleet.coordinatorBytesPerSecondIn / 1024)) KB/s in")
        let runBytes = bytes(fleet.runDirectoryBytesPerSecond * plan.duration)
        lines.append(
            "  run directory       \(one(fleet.runDirectoryBytesPerSecond / 1024)) KB/s, \(runBytes) for the run")
        return lines.joined(separator: "\n")
    }

    /// What `stampede run` and `stampede coordinator` print before a run whose peak its workers' cap would cut.
    static func capWarning(record: RunRecord, plan: Plan, workers: Int) -> String? {
        let cap = ShopperCap(
            forecast: RunForecast(plan: plan, scenario: record.scenario), workers: workers, cap: record.maxShoppers)
        guard !cap.fits else { return nil }
        return "at the peak second a worker holds about \(count(cap.perWorker)) shoppers at once (arrived, not yet "
            + "through their flow), and --max-shoppers is \(count(Double(cap.cap))): arrivals beyond it are "
            + "dropped, and the target sees less load than the plan. Run with --max-shoppers \(cap.suggested) "
            + "(a thinking shopper costs about "
            + "\(count(FleetEstimate.Assumptions.measured.bytesPerShopper)) bytes) or with more workers."
    }
}
