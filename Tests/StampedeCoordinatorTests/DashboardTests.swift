import Foundation
import NIOCore
import NIOHTTP1
import StampedeCore
import StampedeHTTP
import StampedeTestKit
import Testing

@testable import StampedeCoordinator

/// The coordinator's faces for people: Prometheus metrics a Grafana board reads, and the live dashboard.
struct DashboardTests {
    static func get(
        _ url: String, _ path: String, method: HTTPMethod = .GET, headers: HTTPHeaders = [:]
    ) async
        -> HTTPResponse?
    {
        guard let origin = Origin(url: url) else { return nil }
        return try? await withHTTPClient { client in
            try await client.execute(
                HTTPRequest(method: method, target: path, headers: headers), to: origin, timeout: .seconds(5))
        }
    }

    /// The metric families a board's queries name (`_bucket`, `_sum`, `_count` belong to their histogram).
    static func queriedMetrics(_ board: Data) throws -> Set<String> {
        let text = try #require(String(data: board, encoding: .utf8))
        let regex = try NSRegularExpression(pattern: "stampede_[a-z0-9_]+")
        var names = Set<String>()
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            var name = String(text[Range(match.range, in: text)!])
            for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                name.removeLast(suffix.count)
            }
            if name != "stampede_rehearsal" { names.insert(name) }
        }
        return names
    }

    static let board = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("deploy/grafana/stampede.json")

    @Test func theMetricsCarryLabelsAndEveryMetricTheGrafanaBoardQueriesIsServed() async throws {
        let queried = try Self.queriedMetrics(Data(contentsOf: Self.board))
        #expect(queried.count >= 8, "\(queried)")
        try await withReferenceShop { _, url in
            // The scrape lands mid-run (2 s into 4), not while the endpoint shuts down at the end.
            let record = TestSupport.record(seconds: 4, rate: 30, target: url)
            let scraped = Scrape()
            _ = try await LocalCluster.run(record: record, .init(workers: 1, metrics: true)) { context in
                guard let metricsURL = context.metricsURL else { return }
                try? await Task.sleep(for: .milliseconds(2_000))
                let response = await Self.get(metricsURL, "/metrics")
                await scraped.set(response.map { String(buffer: $0.body) } ?? "")
            }
            let text = await scraped.text
            let families = Set(
                text.split(separator: "\n").filter { $0.hasPrefix("# TYPE ") }.map {
                    String($0.split(separator: " ")[2])
                })
            #expect(
                queried.subtracting(families).isEmpty,
                "the board queries what is not served: \(queried.subtracting(families))")
            let lines = text.split(separator: "\n").map(String.init)
            func value(_ prefix: String) -> Double {
                lines.first { $0.hasPrefix(prefix) }.flatMap { $0.split(separator: " ").last.flatMap { Double($0) } }
                    ?? -1
            }
            #expect(value("stampede_arrivals_started_total{worker=\"w1\"}") > 10, "\(text)")
            #expect(value("stampede_requests_total{flow=\"flow\",step=\"step1\",class=\"ok\"}") > 10)
            #expect(value("stampede_requests_total{flow=\"flow\",step=\"step1\",class=\"5xx\"}") == 0)
            // The histogram is cumulative and ends in +Inf = _count.
            let inf = value("stampede_request_duration_seconds_bucket{flow=\"flow\",step=\"step1\",le=\"+Inf\"}")
            #expect(inf > 10)
            #expect(value("stampede_request_duration_seconds_count{flow=\"flow\",step=\"step1\"}") == inf)
            #expect(value("stampede_request_duration_seconds_bucket{flow=\"flow\",step=\"step1\",le=\"10.0\"}") <= inf)
        }
    }

    @Test func theDashboardServesTheLivePageAndStopsTheRunOnlyWithTheToken() async throws {
        try await withReferenceShop { _, url in
            let record = TestSupport.record(seconds: 30, rate: 20, target: url)
            let answers = Scrape()
            let result = try await LocalCluster.run(record: record, .init(workers: 1, metrics: true)) { context in
                guard let dashboard = context.dashboardURL else { return }
                try? await Task.sleep(for: .milliseconds(2_000))
                let page = await Self.get(dashboard, "/")
                let wrong = await Self.get(
                    dashboard, "/stop", method: .POST, headers: ["Authorization": "Bearer not-the-token"])
                let none = await Self.get(dashboard, "/stop", method: .POST)
                let right = await Self.get(
                    dashboard, "/stop", method: .POST, headers: ["Authorization": "Bearer test-token"])
                await answers.set(
                    [page?.status, wrong?.status, none?.status, right?.status].map { "\($0 ?? 0)" }.joined(
                        separator: " ")
                        + "\n" + (page.map { String(buffer: $0.body) } ?? ""))
            }
            let text = await answers.text
            #expect(text.hasPrefix("200 401 401 202"), "\(text.prefix(200))")
            #expect(text.contains("<h1>Stampede — live</h1>"))
            #expect(text.contains("new EventSource"))
            #expect(text.contains("id=\"arrivals\""))
            // Stopped as Ctrl-C stops a run: interrupted, long before its 30 s.
            #expect(result.coordinator.report.run.interrupted)
            #expect(result.coordinator.report.run.actualSeconds < 10)
        }
    }

    @Test func anEventCarriesTheBodyAndTheState() throws {
        let record = TestSupport.record(seconds: 2, rate: 5, target: "http://127.0.0.1:1")
        let aggregator = RunAggregator(plan: try record.plan(), scenario: record.scenario)
        let event = DashboardEndpoint.event(
            .init(report: aggregator.report(record: record), series: aggregator.series(), running: true))
        let text = String(decoding: event, as: UTF8.self)
        #expect(text.hasPrefix("data: {"))
        #expect(text.hasSuffix("}\n\n"))
        #expect(!text.dropLast(2).contains("\n"), "one line of data")
        let json = try JSONSerialization.jsonObject(with: Data(text.dropFirst(6).utf8)) as? [String: String]
        #expect(json?["state"] == "running")
        #expect(json?["html"]?.contains("id=\"arrivals\"") == true)
    }

    @Test func latencyBucketsAreCumulativeWithTheSumAndCount() {
        var buckets = LatencyBuckets()
        buckets.add(SparseHistogram(values: [500, 1_000, 30_000, 20_000_000], counts: [2, 1, 3, 1]))
        let text = buckets.exposition(name: "x", labels: "s=\"a\"")
        #expect(text.contains("x_bucket{s=\"a\",le=\"0.001\"} 3\n"))
        #expect(text.contains("x_bucket{s=\"a\",le=\"0.025\"} 3\n"))
        #expect(text.contains("x_bucket{s=\"a\",le=\"0.05\"} 6\n"))
        #expect(text.contains("x_bucket{s=\"a\",le=\"10.0\"} 6\n"))
        #expect(text.contains("x_bucket{s=\"a\",le=\"+Inf\"} 7\n"))
        #expect(text.contains("x_count{s=\"a\"} 7\n"))
        #expect(text.contains("x_sum{s=\"a\"} 20.092"))
    }
}
