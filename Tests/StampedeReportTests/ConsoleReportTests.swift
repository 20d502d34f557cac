import StampedeCore
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

    @Test func anInterruptedRunSaysWhy() throws {
        let text = ConsoleReport.render(
            try Self.report(
                [], facts: [.ended(actualSeconds: 1, interrupted: true, reason: "interrupted by a signal")]))
        #expect(text.contains("(INTERRUPTED: interrupted by a signal)"))
    }

    @Test func eventsReadAsSentences() {
        #expect(
            RunEventLine.render(.joined(worker: "w2", present: 2, expected: 3)) == "worker w2 joined (2 of 3)")
        #expect(RunEventLine.render(.stopping(.interrupted)) == "stopping: interrupted by a signal")
        #expect(
            RunEventLine.render(.listening(host: "127.0.0.1", port: 7070, metricsPort: nil, expectedWorkers: 1))
                == "coordinator listening on 127.0.0.1:7070; waiting for 1 worker")
    }
}
