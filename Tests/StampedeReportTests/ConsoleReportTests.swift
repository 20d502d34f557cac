import Foundation
import StampedeCore
import StampedeProcess
import Testing

@testable import StampedeReport

struct ConsoleReportTests {
    static let scenario = Scenario(
        name: "s",
        flows: [
            Flow(
                name: "buy",
                steps: [
                    Step(name: "browse", path: Template(literal: "/")),
                    Step(name: "pay", path: Template(literal: "/p")),
                ])
        ])

    static func report(_ intervals: [IntervalReport], facts: [RunFact] = []) throws -> RunReport {
        let record = RunRecord(
            id: "r", startedAt: "", profile: Profile(name: "p", shape: .stages([Stage(duration: 10, from: 1, to: 1)])),
            scenario: scenario, scale: RunScale(peakRate: 10, compression: .speed(1)),
            target: Origin(url: "http://127.0.0.1:1")!, seed: 1, arrivals: .uniform, workers: 1, maxShoppers: 1,
            connections: 1)
        var aggregator = RunAggregator(plan: try record.plan(), scenario: scenario)
        for interval in intervals { aggregator.add(interval) }
        for fact in facts { aggregator.apply(fact) }
        return aggregator.report(record: record)
    }

    /// A step nobody reached has no latency: "-", not "0.000".
    /// Arrivals a worker holds for a connection show on the live line beside the shoppers going: against a target
    /// that holds its connections, "going 275" alone hid 9,700 shoppers waiting inside the generator.
    @Test func theLiveLineCountsArrivalsWaitingForAConnection() throws {
        let record = RunRecord(
            id: "r", startedAt: "", profile: Profile(name: "p", shape: .stages([Stage(duration: 10, from: 1, to: 1)])),
            scenario: Self.scenario, scale: RunScale(peakRate: 10, compression: .speed(1)),
            target: Origin(url: "http://127.0.0.1:1")!, seed: 1, arrivals: .uniform, workers: 2, maxShoppers: 1,
            connections: 1)
        var aggregator = RunAggregator(plan: try record.plan(), scenario: Self.scenario)
        aggregator.add(IntervalReport(worker: "w1", second: 0, inFlight: 2))
        aggregator.add(IntervalReport(worker: "w1", second: 1, inFlight: 2, waiting: 9_700))
        aggregator.add(IntervalReport(worker: "w2", second: 1, inFlight: 1, waiting: 25))
        #expect(!ProgressLine.render(aggregator.progress(second: 0)).contains("waiting"))
        #expect(ProgressLine.render(aggregator.progress(second: 1)).contains("going 3  waiting 9725  shoppers"))
    }

    /// The drill's lines show the target's books by status; a shop whose paid orders say "completed" is told why
    /// each charge reads as an orphan. "PAID" is paid.
    @Test func theDrillShowsTheBooksByStatus() throws {
        var report = try Self.report([])
        report.totals.shoppers.planned = 1  // something was played
        let told = [PaymentEvent(order: "1", outcome: .paid, channel: "alipay", at: 1)]
        let charge = ChargeRecord(
            id: "alipay-1", order: "1", amount: 100, idempotencyKey: nil, succeeded: true, channel: "alipay")
        func books(_ statuses: [String]) -> String {
            let orders = statuses.enumerated().map { OrderRecord(id: "\($0.offset + 1)", status: $0.element) }
            report.payments = PaymentVerifier.verdict(
                primary: "alipay", faults: [], events: told, charges: [charge], orders: orders, problem: nil)
            return ConsoleReport.render(report).split(separator: "\n").first { $0.hasPrefix("  books") }.map(
                String.init)
                ?? ""
        }
        #expect(books(["PAID", "reserved", "reserved"]) == "  books     reserved 2, PAID 1")
        #expect(report.payments?.orphanCharges == 0)
        #expect(
            books(["completed"])
                == "  books     completed 1 (no order's status is \"paid\", which is what the drill reads as paid: a "
                + "charge for any of them counts as an orphan)")
        #expect(report.payments?.orphanCharges == 1)
    }

    @Test func aStepWithNoRequestsShowsDashes() throws {
        var histogram = LatencyHistogram()
        histogram.record(microseconds: 1_500)
        var counts = RequestCounts()
        counts.requests = 1
        counts.ok = 1
        let browse = StepRecord(
            slot: 0, step: StepID(flow: 0, step: 0), counts: counts, corrected: histogram.sparse,
            uncorrected: histogram.sparse)
        let text = ConsoleReport.render(
            try Self.report(
                [IntervalReport(worker: "w", second: 0, steps: [browse])],
                facts: [.ended(actualSeconds: 10, interrupted: false, reason: nil)]))
        let pay = try #require(text.split(separator: "\n").first { $0.contains("buy/pay") })
        #expect(!pay.contains("0.000"), "\(pay)")
        #expect(pay.contains("-"))
        let browseLine = try #require(text.split(separator: "\n").first { $0.contains("buy/browse") })
        #expect(browseLine.contains("1.50"), "\(browseLine)")
    }

    /// Failed shoppers are named by why: those the run's end cut off (`cancelled`) apart from the target's failures.
    @Test func failedShoppersSayWhy() throws {
        func render(succeeded: Int, failures: [ErrorLabel: Int]) throws -> String {
            var counts = ArrivalCounts()
            counts.succeeded = succeeded
            counts.failed = failures.values.reduce(0, +)
            counts.failures = failures
            counts.planned = counts.succeeded + counts.failed
            counts.started = counts.planned
            return ConsoleReport.render(
                try Self.report(
                    [IntervalReport(worker: "w", second: 0, slots: [SlotRecord(slot: 0, counts: counts)])],
                    facts: [.ended(actualSeconds: 10, interrupted: false, reason: nil)]))
        }
        let failing = try render(succeeded: 7, failures: [.timeout: 1, .cancelled: 2])
        #expect(failing.contains("succeeded 7  failed 3 (cancelled 2, timeout 1)  throttled 0"), "\(failing)")
        let clean = try render(succeeded: 10, failures: [:])
        #expect(clean.contains("succeeded 10  failed 0  throttled 0"), "\(clean)")
    }

    /// Interrupted before its first arrival (Ctrl-C while the workers were awaited), a run says so and shows no
    /// tables: they were a page of zeros.
    @Test func anInterruptedRunSaysWhy() throws {
        let text = ConsoleReport.render(
            try Self.report(
                [], facts: [.ended(actualSeconds: 1, interrupted: true, reason: "interrupted by a signal")]))
        #expect(text.contains("(INTERRUPTED: interrupted by a signal)"))
        #expect(text.hasSuffix("\nNothing was played: the run ended before its first arrival.\n"), "\(text)")
        #expect(!text.contains("Latency per step"), "\(text)")
        var counts = ArrivalCounts()
        counts.planned = 1
        let played = ConsoleReport.render(
            try Self.report(
                [IntervalReport(worker: "w", second: 0, slots: [SlotRecord(slot: 0, counts: counts)])],
                facts: [.ended(actualSeconds: 1, interrupted: true, reason: "interrupted by a signal")]))
        #expect(played.contains("Latency per step"), "\(played)")
        #expect(!played.contains("Nothing was played"), "\(played)")
    }

    @Test func numbersReadAsNumbers() throws {
        #expect(Format.fixed(779, 0) == "779")
        #expect(Format.fixed(3.14159, 2) == "3.14")
        #expect(Format.fixed(2, 1) == "2.0")
        #expect(Format.rate(100_000_000) == "100,000,000")
        #expect(Format.rate(800) == "800")
        #expect(Format.rate(2.5) == "2.50")
        #expect(Format.rate(12.5) == "12.5")
        // The load line said "peak 10.0/s"; a lost worker's gap said "from 3.0 s" and "[0.0, 3.0) s".
        let text = ConsoleReport.render(try Self.report([]))
        #expect(text.contains("load      peak 10/s, uniform arrivals"), "\(text)")
    }

    @Test func eventsReadAsSentences() {
        #expect(
            RunEventLine.render(.joined(worker: "w2", present: 2, expected: 3)) == "worker w2 joined (2 of 3)")
        #expect(RunEventLine.render(.stopping(.interrupted)) == "stopping: interrupted by a signal")
        #expect(
            RunEventLine.render(
                .listening(host: "127.0.0.1", port: 7070, metricsPort: nil, dashboard: nil, expectedWorkers: 1))
                == "coordinator listening on 127.0.0.1:7070; waiting for 1 worker")
    }
}

struct CIReportTests {
    static let schema = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Schemas/junit.xsd").path

    static let xmllint: String? = ["/usr/bin/xmllint", "/bin/xmllint"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static func report() throws -> RunReport {
        var report = try ConsoleReportTests.report(
            [], facts: [.ended(actualSeconds: 3, interrupted: false, reason: nil)])
        // Requests were answered (a run in which none was is judged incomplete).
        report.totals.requests.requests = 10
        report.totals.requests.ok = 10
        report.thresholds = [
            ThresholdResult(
                threshold: "p99(buyer/order) < 300ms", outcome: .failed, observed: 312, observedText: "312 ms",
                boundText: "< 300 ms"),
            ThresholdResult(
                threshold: "error_rate(all) < 1%", outcome: .passed, observed: 0, observedText: "0.0%",
                boundText: "< 1%"),
            ThresholdResult(
                threshold: "oversold == 0", outcome: .unverified, observed: nil, observedText: "?", boundText: "== 0",
                reason: "the books were not read <after> & \"gone\""),
        ]
        return report
    }

    @Test func junitHasACasePerThresholdWithTheObservedValueAndTheBound() throws {
        let report = try Self.report()
        let xml = JUnitReport.render(report, judgement: RunJudgement.of(report))
        #expect(xml.contains("name=\"p99(buyer/order) &lt; 300ms\""))
        #expect(xml.contains("<failure type=\"thresholds\" message=\"observed 312 ms, bound &lt; 300 ms\""))
        #expect(xml.contains("<error type=\"unverified\""))
        #expect(xml.contains("&lt;after&gt; &amp; &quot;gone&quot;"))
        #expect(xml.contains("<testsuites name=\"stampede r\" tests=\"4\" failures=\"1\" errors=\"1\""))
    }

    @Test(.enabled(if: xmllint != nil, "xmllint is not installed (apt-get install libxml2-utils)"))
    func junitIsValidForTheReadersOfJenkinsAndGitLab() throws {
        let report = try Self.report()
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-junit-\(UUID()).xml")
        defer { try? FileManager.default.removeItem(at: file) }
        try JUnitReport.render(report, judgement: RunJudgement.of(report)).write(
            to: file, atomically: true, encoding: .utf8)
        let log = file.appendingPathExtension("log")
        defer { try? FileManager.default.removeItem(at: log) }
        let process = try ChildProcess.launch(
            Self.xmllint!, ["--noout", "--schema", Self.schema, file.path], output: log.path)
        process.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("validates"), "\(text)")
    }

    @Test func theMarkdownSummaryFitsAPullRequest() throws {
        let report = try Self.report()
        let markdown = MarkdownSummary.render(report, judgement: RunJudgement.of(report), directory: "runs/r")
        #expect(markdown.hasPrefix("## Stampede: a threshold failed ✗"))
        #expect(markdown.contains("| ✗ | `p99(buyer/order) < 300ms` | 312 ms | < 300 ms |"))
        #expect(markdown.contains("| ✓ | `error_rate(all) < 1%` | 0.0% | < 1% |"))
        #expect(markdown.contains("| ? | `oversold == 0` |"))
        #expect(markdown.contains("| buy/pay | 0 | - |"))
        #expect(markdown.contains("Run directory: `runs/r`"))
        #expect(!markdown.contains("dropped") && !markdown.contains("**Note:**"))
    }

    /// A gate that passed while the generator dropped arrivals says so where the pull request shows it.
    @Test func theMarkdownSummaryNotesDroppedArrivals() throws {
        var report = try Self.report()
        report.thresholds = []
        report.totals.shoppers.planned = 1_000
        report.totals.shoppers.started = 400
        report.totals.shoppers.dropped = 600
        report.run.maxShoppers = 50
        let markdown = MarkdownSummary.render(report, judgement: RunJudgement.of(report), directory: nil)
        #expect(markdown.hasPrefix("## Stampede: passed ✓"), "\(markdown)")
        #expect(markdown.contains("; 400 shoppers (600 dropped), 10 requests."), "\(markdown)")
        #expect(
            markdown.contains("> **Note:** 600 of 1,000 planned arrivals (60.0%) were dropped, not sent"),
            "\(markdown)")
        #expect(markdown.contains("at most 50 shoppers at once (--max-shoppers)"), "\(markdown)")
    }
}
