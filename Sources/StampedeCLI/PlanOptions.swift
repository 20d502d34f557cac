public import ArgumentParser
import Foundation
import StampedeConfig
import StampedeCoordinator
import StampedeCore

/// What to play, how fast, against what: shared by `stampede run` and `stampede-coordinator`.
struct PlanOptions: ParsableArguments {
    @Option(help: "The profile (traffic shape), e.g. profiles/double11.yaml.") var profile: String?
    @Option(help: "The scenario (shopper flows), e.g. scenarios/reference-shop.yaml.") var scenario: String
    @Option(help: "Base URL of the target; defaults to the scenario's target.") var target: String?
    @Option(help: "Arrivals per second at the busiest instant, spikes included (800/s).") var peakRate = "100/s"
    @Option(help: "Time compression: profile seconds per real second (1440x).") var speed: String?
    @Option(help: "Real duration of the whole window (90s); instead of --speed.") var duration: String?
    @Option(help: "Part of the profile day to play (09:00-11:00).") var window: String?
    @Option(help: "Seed of the arrival process and the shoppers' choices.", transform: CommandLineNumbers.seed)
    var seed: UInt64 = 1
    @Option(help: "Arrival process: poisson or uniform.") var arrivals: ArrivalProcess = .poisson
    @Option(help: "Most shoppers going at once per worker; arrivals beyond are dropped and counted.")
    var maxShoppers = 10_000
    @Option(help: "Most connections to the target per worker.") var connections = 256
    @Option(help: "Request timeout (10s).") var timeout = "10s"
    @Option(help: "HTTP to the target: http1, h2c (HTTP/2 cleartext), h2 (HTTP/2 over TLS) or auto (ALPN decides).")
    var `protocol`: HTTPProtocolChoice = .auto
    @Option(help: "HTTP/2 streams in flight per connection at most.") var streams = 100
    @Option(help: "A PEM file of certificate authorities to trust for an https target (read on each worker).")
    var ca: String?
    @Flag(help: "Accept any TLS certificate (self-signed staging certificates).") var insecure = false
    @Flag(help: "One connection per shopper, handshake included, instead of a shared pool.")
    var connectionPerShopper = false
    @Option(help: "Directory for run directories.") var runs = "runs"
    @Option(help: "Name of this run's directory (default: time and profile).") var id: String?
    @Flag(help: "Allow a target that is not on loopback (127.0.0.0/8, ::1).") var allowRemote = false
    @Flag(help: "No live progress line.") var quiet = false
    @Option(help: "Give up when not every worker has joined within this long.") var registrationTimeout = "60s"
    @Option(
        help: ArgumentHelp(
            "A threshold the run must meet, such as \"p99(buyer/order) < 300ms\" (repeatable; added to the scenario's).",
            valueName: "threshold"))
    var threshold: [String] = []
    @Flag(
        help:
            "Report failed verdicts (oversold, phantom, leaked, double or orphan charges, uncharged orders) without failing the run."
    )
    var noFailOnVerdict = false
    @Option(help: "Workers that may be lost before the run counts as not completed.") var maxLostWorkers = 0
    @Option(
        help: """
            Stop the run when the target has not answered one request (no connection, or no response on one) \
            this long after the first request ended (10s; 0 plays to the end).
            """)
    var unreachedAfter = "10s"

    /// The scenario file, read and checked, and the addresses it sends to.
    func loadScenario() throws -> (Scenario, [ConfigAddress]) {
        do {
            return try ScenarioLoader.loadWithAddresses(path: scenario)
        } catch {
            throw CommandFailure(.usage, "the configuration has problems:\n" + error.description)
        }
    }

    /// Thresholds given on the command line (`--threshold`, `--slo`), each checked against the scenario (its flows
    /// and steps, and the verdicts it can give): a mistake is named with the option and the text.
    static func thresholds(_ texts: [String], option: String, scenario: Scenario) throws -> [Threshold] {
        try texts.map { text in
            do {
                let parsed = try ThresholdParser.parse(text)
                if let problem = ScenarioLoader.problem(
                    with: parsed, flows: scenario.flows, drill: scenario.drill != nil)
                {
                    throw CommandFailure(.usage, "\(option) \"\(text)\": \(problem)")
                }
                return parsed
            } catch let problem as ThresholdParser.Problem {
                throw CommandFailure(
                    .usage, "\(option) \"\(text)\": \(problem.message) (at character \(problem.offset + 1))")
            }
        }
    }

    /// A run's record and its plan.
    typealias Built = (record: RunRecord, plan: Plan)

    /// The run and its plan (built once, here), checked; every mistake named by its option. A run (`sends`) is
    /// refused when its plan brings no shopper: it would set the target up and measure nothing.
    func run(workers: Int, profile given: Profile? = nil, sends: Bool = false) throws -> Built {
        let profile: Profile
        var scenario: Scenario
        let addresses: [ConfigAddress]
        guard given != nil || self.profile != nil else { throw ValidationError("--profile is required") }
        let profilePath = self.profile ?? "(the search's steps)"
        let misplaced = ConfigValidator.misplaced(profile: self.profile, scenario: self.scenario)
        guard misplaced.isEmpty else {
            throw CommandFailure(.usage, "the configuration has problems:\n" + misplaced.joined(separator: "\n"))
        }
        do {
            if let given { profile = given } else { profile = try ProfileLoader.load(path: profilePath) }
        } catch {
            throw CommandFailure(.usage, "the configuration has problems:\n" + error.description)
        }
        (scenario, addresses) = try loadScenario()
        let mismatches = RunConsistency.problems(
            profile: profile, profilePath: profilePath, scenario: scenario, scenarioPath: self.scenario)
        guard mismatches.isEmpty else {
            throw CommandFailure(.usage, "the configuration has problems:\n" + mismatches.joined(separator: "\n"))
        }
        if !threshold.isEmpty {
            scenario.thresholds =
                (scenario.thresholds ?? [])
                + (try Self.thresholds(threshold, option: "--threshold", scenario: scenario))
        }
        let scopes = RunConsistency.thresholdProblems(
            scenario.thresholds ?? [], profile: profile, profilePath: profilePath)
        guard scopes.isEmpty else {
            throw CommandFailure(
                .usage, "the thresholds name what the profile does not have:\n" + scopes.joined(separator: "\n"))
        }
        let elsewhere = AddressGuard.problems(
            addresses, allowRemote: allowRemote, environment: ProcessInfo.processInfo.environment)
        guard elsewhere.isEmpty else {
            throw CommandFailure(
                .usage,
                "the scenario sends requests off loopback:\n"
                    + elsewhere.map(\.description).joined(separator: "\n"))
        }
        let peakRate = try peakRatePerSecond()
        let compression: RunScale.Compression
        if let given = try givenCompression() {
            compression = given
        } else {
            guard profile.length <= 600 else {
                throw ValidationError(
                    "say how fast to play \(profile.name) (\(Int(profile.length / 3600)) h long): "
                        + "--duration 90s or --speed 1440x")
            }
            compression = .speed(1)
        }
        let scale = RunScale(peakRate: peakRate, compression: compression, window: try profileWindow())
        guard let targetURL = target ?? scenario.target else {
            throw ValidationError("no target: give --target http://host:port or a target in the scenario")
        }
        let origin = try Self.origin(targetURL)
        guard origin.isLoopback || allowRemote else {
            throw ValidationError("\(origin.host) is not on loopback; load goes elsewhere only with --allow-remote")
        }
        try checkLimits()
        if let mismatch = `protocol`.mismatch(origin.scheme) { throw ValidationError("--protocol: \(mismatch)") }
        let plan: Plan
        do {
            plan = try Plan(profile: profile, scale: scale)
        } catch {
            throw CommandFailure(.usage, error.message)
        }
        let faults = scenario.drill?.faultsOutside(plan.window) ?? []
        guard faults.isEmpty else {
            throw CommandFailure(
                .usage, faults.map { "\(self.scenario): \($0) (--window)" }.joined(separator: "\n"))
        }
        // A unique feeder needs a row for every shopper the plan brings, and a run needs one shopper at least:
        // counted before anything is sent (a plan that expects a thousand brings one, whatever the seed).
        let unique = scenario.feeders.contains(where: { $0.pick == .unique })
        if unique || (sends && plan.expectedTotal < 1_000) {
            var shoppers = 0
            var sequence = ArrivalSequence(plan: plan, process: arrivals, seed: seed)
            while sequence.next() != nil { shoppers += 1 }
            if sends && shoppers == 0 {
                throw CommandFailure(
                    .usage,
                    "the plan brings no shopper: \(PlanReport.amount(plan.expectedTotal)) expected over its "
                        + "\(PlanReport.one(plan.arrivalsEnd)) s at a peak of \(PlanReport.amount(plan.scale.peakRate))"
                        + " arrivals/s, and with --seed \(seed) none comes due, so the run would measure nothing: "
                        + "raise --peak-rate or play the window longer (`stampede plan` shows what a plan brings)")
            }
            let shortages = scenario.feeders.compactMap { $0.shortage(shoppers: shoppers) }
            guard shortages.isEmpty else {
                throw CommandFailure(.usage, "\(self.scenario): " + shortages.joined(separator: "; "))
            }
        }
        let started = Date()
        let record = RunRecord(
            id: id ?? Self.runID(started, profile: profile.name, under: runs),
            startedAt: ISO8601DateFormatter().string(from: started),
            profile: profile, scenario: scenario, scale: scale, target: origin, seed: seed,
            arrivals: arrivals, workers: workers, maxShoppers: maxShoppers, connections: connections,
            transport: TargetTransport(
                protocolChoice: `protocol`, caFile: ca.map { URL(fileURLWithPath: $0).path }, insecure: insecure,
                streamsPerConnection: streams, connectionPerShopper: connectionPerShopper),
            gate: GateSettings(failOnVerdict: !noFailOnVerdict, maxLostWorkers: maxLostWorkers))
        return (record, plan)
    }

    func settings(workers: Int, lease: String, silenceBeforeLost: String = "2s") throws -> CoordinatorSettings {
        let timeout = try requestTimeout()
        let leaseSeconds = try CommandLineNumbers.seconds(lease, option: "--lease", example: "3s")
        guard leaseSeconds >= 1 else { throw ValidationError("--lease: expected at least 1s, found \"\(lease)\"") }
        let silence = try CommandLineNumbers.seconds(silenceBeforeLost, option: "--silence-before-lost", example: "2s")
        guard silence >= 0.5 else {
            throw ValidationError("--silence-before-lost: expected at least 0.5s, found \"\(silenceBeforeLost)\"")
        }
        let registration = try registrationSeconds()
        return CoordinatorSettings(
            expectedWorkers: workers, lease: .seconds(double: leaseSeconds),
            silenceBeforeLost: .seconds(double: silence),
            maxShoppersPerWorker: maxShoppers,
            connectionsPerWorker: connections, requestTimeout: .seconds(double: timeout),
            registrationTimeout: .seconds(double: registration),
            unreachedAfter: try unreachedPatience().map { .seconds(double: $0) })
    }

    /// What the command line alone shows to be wrong, found while it is parsed, so that ArgumentParser prints it
    /// with this command's usage; what needs the files is found by `run`.
    func validate() throws {
        _ = try peakRatePerSecond()
        _ = try givenCompression()
        _ = try profileWindow()
        if let target { _ = try Self.origin(target) }
        try checkLimits()
        // A run never writes into another's directory: it failed as it made it, exit 70 ("A file with the same
        // name already exists"); a search wrote its steps beside the old ones.
        if let id, FileManager.default.fileExists(atPath: (runs as NSString).appendingPathComponent(id)) {
            throw ValidationError(
                "--id: \((runs as NSString).appendingPathComponent(id)) is there already: choose another --id, or "
                    + "leave it out for a fresh name")
        }
        _ = try requestTimeout()
        _ = try registrationSeconds()
        _ = try unreachedPatience()
    }

    func peakRatePerSecond() throws -> Double {
        try CommandLineNumbers.rate(peakRate, option: "--peak-rate", example: "800/s")
    }

    /// `--speed` or `--duration`; nil when neither is given (a profile longer than 10 minutes needs one).
    func givenCompression() throws -> RunScale.Compression? {
        switch (speed, duration) {
        case (let speed?, nil):
            guard let value = Units.speed(speed) else {
                throw ValidationError("--speed: expected a speed above 0 such as 1440x, found \"\(speed)\"")
            }
            return .speed(value)
        case (nil, let duration?):
            return .duration(try CommandLineNumbers.seconds(duration, option: "--duration", example: "90s"))
        case (nil, nil):
            return nil
        case (_?, _?):
            throw ValidationError("give --speed or --duration, not both")
        }
    }

    func profileWindow() throws -> ProfileWindow? {
        guard let window else { return nil }
        guard let parsed = ProfileWindow.parse(window) else {
            throw ValidationError("--window: expected a range such as 09:00-11:00, found \"\(window)\"")
        }
        return parsed
    }

    static func origin(_ url: String) throws -> Origin {
        guard let origin = Origin(exactly: url) else {
            throw ValidationError(
                "--target: expected an origin such as http://127.0.0.1:8080 (scheme, host and port; each step gives "
                    + "its path), found \"\(url)\"")
        }
        return origin
    }

    /// The limits, the CA file, and the run's name: a name, not a path (`--id ../../etc` made a directory, or
    /// failed to, outside `--runs`).
    func checkLimits() throws {
        try CommandLineNumbers.check(maxShoppers, CommandLineNumbers.shoppers, option: "--max-shoppers")
        try CommandLineNumbers.check(connections, CommandLineNumbers.connections, option: "--connections")
        try CommandLineNumbers.check(streams, CommandLineNumbers.streams, option: "--streams")
        try CommandLineNumbers.check(maxLostWorkers, atLeast: 0, option: "--max-lost-workers")
        try TLSFileOptions.checkAuthorities(ca, option: "--ca")
        if let id, id.isEmpty || id == "." || id == ".." || id.contains("/") {
            throw ValidationError("--id: expected a name for the run's directory inside --runs, found \"\(id)\"")
        }
    }

    func requestTimeout() throws -> Double {
        try CommandLineNumbers.seconds(timeout, option: "--timeout", example: "10s")
    }

    func registrationSeconds() throws -> Double {
        try CommandLineNumbers.seconds(registrationTimeout, option: "--registration-timeout", example: "60s")
    }

    /// `--unreached-after` in seconds, nil for 0 (never give up).
    func unreachedPatience() throws -> Double? {
        let seconds = try CommandLineNumbers.seconds(
            unreachedAfter, option: "--unreached-after", example: "10s", zero: "to never stop")
        return seconds > 0 ? seconds : nil
    }

    /// A new run's directory name under `runs`: the time and the profile, made unique (`RunDirectory.freeID`).
    static func runID(_ date: Date, profile: String, under runs: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return RunDirectory.freeID("\(formatter.string(from: date))-\(profile)", under: runs)
    }
}

extension ArrivalProcess: ExpressibleByArgument {}
