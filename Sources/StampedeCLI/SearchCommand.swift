public import ArgumentParser
import Foundation
import StampedeConfig
import StampedeCoordinator
import StampedeCore

/// `stampede search`: the highest arrival rate the target sustains within its thresholds.
public struct SearchCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Find the highest arrival rate the target sustains within the thresholds (the knee).",
        discussion: """
            Plays steps of a steady rate through the same coordinator and workers as `stampede run`: from --from, \
            each step twice the last (never above --max-rate) until one breaks, then halves the gap between the \
            last rate that held and the first that broke until it is at most --resolution. Each step settles for \
            --settle (not judged) and holds for --hold (judged); a threshold that breaks stops the step at once. \
            The thresholds are the scenario's and --slo's (judged over the hold), and the verdicts (oversold, …) \
            always count. A step the generator could not play (dropped arrivals, fewer than 97% started) is no \
            verdict on the target: the search stops there and says so. A target that answers no request for \
            --unreached-after breaks the step (at the first step, it stops the search). Everything is written to \
            the search's directory: search.json, search.txt, and each step's run directory.
            """)

    @OptionGroup var plan: PlanOptions
    @Option(help: "The first step's rate (50/s).") var from = "50/s"
    @Option(help: "The highest rate to try: the search never goes above it.") var maxRate: String
    @Option(help: "Stop narrowing when the last good and the first bad rate are this close (10/s).")
    var resolution = "10/s"
    @Option(help: "How long each step's rate is judged (10s).") var hold = "10s"
    @Option(help: "How long each step runs before it is judged (3s).") var settle = "3s"
    @Option(
        help: ArgumentHelp(
            "A threshold each step must meet over its hold, such as \"p99(all) < 500ms\" (repeatable).",
            valueName: "threshold"))
    var slo: [String] = []
    @Option(help: "Stop a step this long after a threshold breaks (1s).") var abortAfter = "1s"
    @Option(help: "Worker processes to start on this machine (with --listen: workers to wait for).") var workers = 1
    @Option(help: "Threads per local worker for the HTTP engine.") var threads = 1
    @Option(
        help:
            "Play the steps with workers on other machines: each step's coordinator listens here (host:port) for `stampede-worker --rejoin`, and no local worker is started."
    )
    var listen: Endpoint?
    @Option(help: "With --listen: the file holding the token workers present (or STAMPEDE_TOKEN).") var tokenFile:
        String?

    public init() {}

    public func run() async throws {
        try await failing("stampede search", Self.self) { try await work() }
    }

    public func validate() throws {
        try CommandLineNumbers.check(workers, CommandLineNumbers.localWorkers, option: "--workers")
        try CommandLineNumbers.check(threads, CommandLineNumbers.threads, option: "--threads")
        _ = try stepSettings()
    }

    /// The rates and durations of the steps, checked while the command line is parsed.
    private func stepSettings() throws -> (
        settings: CapacitySearch.Settings, hold: Double, settle: Double, abortAfter: Double
    ) {
        let settings = CapacitySearch.Settings(
            from: try CommandLineNumbers.rate(from, option: "--from", example: "100/s"),
            maxRate: try CommandLineNumbers.rate(maxRate, option: "--max-rate", example: "2000/s"),
            resolution: try CommandLineNumbers.rate(resolution, option: "--resolution", example: "10/s"))
        if let problem = settings.problem { throw ValidationError(problem) }
        let hold = try CommandLineNumbers.seconds(hold, option: "--hold", example: "10s")
        guard hold >= 1 else { throw ValidationError("--hold: at least 1s, found \"\(self.hold)\"") }
        let settle = try CommandLineNumbers.seconds(settle, option: "--settle", example: "3s", zero: "to judge at once")
        let abortAfter = try CommandLineNumbers.seconds(
            abortAfter, option: "--abort-after", example: "1s", zero: "to stop at once")
        return (settings, hold, settle, abortAfter)
    }

    private func work() async throws {
        let (settings, hold, settle, abortAfter) = try stepSettings()
        let thresholds = try PlanOptions.thresholds(slo, option: "--slo", scenario: try plan.loadScenario().0).map {
            var threshold = $0.scoped(to: .period(SearchStep.holdStage))
            threshold.abortOnFail = true
            threshold.delay = abortAfter
            return threshold
        }
        let id = plan.id ?? PlanOptions.runID(Date(), profile: "search", under: plan.runs)
        let directory = (plan.runs as NSString).appendingPathComponent(id)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var search = CapacitySearch(settings)
        var steps: [SearchStep] = []
        // A search stopped during a step (Ctrl-C, a target gone at the first step) keeps the steps it played: it
        // wrote nothing, and the steps that held were known only from the console.
        var stopped: CommandFailure?
        while let rate = search.next {
            printError("search: step \(steps.count + 1) at \(Self.rate(rate))/s (settle \(settle) s, hold \(hold) s)")
            let step: SearchStep
            do {
                step = try await self.step(
                    rate: rate, number: steps.count + 1, settle: settle, hold: hold, thresholds: thresholds,
                    runs: directory)
            } catch let failure as CommandFailure where failure.status == .incomplete {
                stopped = failure
                break
            }
            steps.append(step)
            search.record(step.verdict)
            printError("search: \(Self.rate(rate))/s \(Self.describe(step.verdict))")
        }
        var result = SearchResult(search: search, steps: steps)
        result.stopped = stopped?.message
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try encoder.encode(result).write(
            to: URL(fileURLWithPath: (directory as NSString).appendingPathComponent("search.json")))
        let text = result.text
        try text.write(
            toFile: (directory as NSString).appendingPathComponent("search.txt"), atomically: true, encoding: .utf8)
        print(text, terminator: "")
        print("Search directory: \(directory)")
        if let stopped { throw stopped }
    }

    /// One step: a profile of `settle` then `hold` seconds at `rate`, played like `stampede run`.
    private func step(
        rate: Double, number: Int, settle: Double, hold: Double, thresholds: [Threshold], runs: String
    ) async throws -> SearchStep {
        var stages: [Stage] = []
        if settle > 0 { stages.append(Stage(label: SearchStep.settleStage, duration: settle, from: 1, to: 1)) }
        stages.append(Stage(label: SearchStep.holdStage, duration: hold, from: 1, to: 1))
        let profile = Profile(name: "search-step-\(number)", shape: .stages(stages))
        var options = plan
        options.peakRate = "\(rate)/s"
        options.speed = "1x"
        options.duration = nil
        options.window = nil
        options.runs = runs
        options.id = String(format: "step-%02d-%g", number, (rate * 10).rounded() / 10)
        options.quiet = true
        var (record, built) = try options.run(workers: workers, profile: profile)
        if let cut = PlanReport.capWarning(record: record, plan: built, workers: workers) {
            printError("search: warning: \(cut)")
        }
        record.scenario.thresholds =
            (record.scenario.thresholds ?? []).map { $0.scoped(to: .period(SearchStep.holdStage)) }
            + thresholds
        let token = try listen.map { _ in try Token.read(file: tokenFile) } ?? Token.random()
        let coordinator = Coordinator(
            configuration: CoordinatorConfiguration(
                host: listen?.host ?? "127.0.0.1", port: listen?.port ?? 0, token: token,
                environment: ProcessInfo.processInfo.environment, runsDirectory: runs),
            record: record, plan: built, settings: try options.settings(workers: workers, lease: "3s"))
        let processes = LocalWorkers()
        let count = listen == nil ? workers : 0
        let threads = threads
        let logs = (runs as NSString).appendingPathComponent("\(record.id)/workers")
        let outcome: RunOutcome
        do {
            outcome = try await CoordinatorRunner.run(coordinator, quiet: true, exitOnJudgement: false, silent: true) {
                port in
                if count > 0 {
                    try processes.start(count: count, threads: threads, port: port, token: token, logDirectory: logs)
                }
            }
        } catch {
            await processes.finish(grace: .seconds(5))
            throw error
        }
        await processes.finish(grace: .seconds(5))
        // A target that answered an earlier step and now reaches no request has gone down under the load: the step
        // broke (its judgement says why). Stopped so at the first step, or for any other reason, there is no search.
        let wentDown = number > 1 && outcome.stopReason?.code == .targetUnreached
        if outcome.report.run.interrupted && !wentDown
            && outcome.report.thresholds?.allSatisfy({ $0.abortedAt == nil }) ?? true
        {
            throw CommandFailure(
                .incomplete,
                "the search was stopped during the step at \(Self.rate(rate))/s"
                    + (outcome.report.run.stopReason.map { ": \($0)" } ?? ""))
        }
        return SearchStep(
            rate: rate, report: outcome.report,
            judgement: RunJudgement.of(outcome.report, gate: record.gate ?? .init()),
            settleSeconds: settle, holdSeconds: hold, directory: outcome.directory)
    }

    static func rate(_ value: Double) -> String { value.formatted(.number.precision(.fractionLength(0...1))) }

    static func describe(_ verdict: CapacitySearch.Verdict) -> String {
        switch verdict {
        case .held: "held"
        case .broke(let what): "broke: \(what)"
        case .generatorBound(let why): "generator-bound: \(why)"
        }
    }
}

/// What `stampede search` writes: the knee and the curve.
struct SearchResult: Codable {
    var format = "stampede.search/1"
    var conclusion: CapacitySearch.Conclusion?
    var lastGood: Double?
    var firstBad: Double?
    var brokeFirst: String?
    /// Why the search ended before it concluded, if it did.
    var stopped: String?
    var steps: [SearchStep]

    init(search: CapacitySearch, steps: [SearchStep]) {
        if case .done(let conclusion) = search.phase { self.conclusion = conclusion }
        lastGood = search.lastGood
        firstBad = search.firstBad
        brokeFirst = search.firstBreak
        self.steps = steps
    }

    var text: String {
        let rate = SearchCommand.rate
        var lines: [String] = []
        switch conclusion {
        case .knee:
            lines.append(
                "Knee: \(rate(lastGood ?? 0))/s held, \(rate(firstBad ?? 0))/s broke (\(brokeFirst ?? "?"))")
        case .heldAtMax: lines.append("Every step held, up to --max-rate: \(rate(lastGood ?? 0))/s")
        case .brokeAtFrom:
            lines.append("The first step already broke at \(rate(firstBad ?? 0))/s (\(brokeFirst ?? "?"))")
        case .generatorBound:
            lines.append(
                "The generator was the limit: last good \(lastGood.map { rate($0) + "/s" } ?? "none"); add workers or "
                    + "cores (stampede plan) and search again")
        case nil: lines.append("The search did not finish" + (stopped.map { ": \($0)" } ?? ""))
        }
        lines.append("")
        lines.append("      rate   achieved    p50 ms    p99 ms   errors      429  verdict")
        for step in steps {
            let verdict = SearchCommand.describe(step.verdict)
            lines.append(
                rate(step.rate).leftPadded(10) + rate(step.achievedRate).leftPadded(11)
                    + String(
                        format: "%10.1f%10.1f%8.1f%%%8.1f%%", step.p50, step.p99, step.errorRate * 100,
                        step.throttledRate * 100)
                    + "  " + verdict)
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
