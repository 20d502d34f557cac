import Foundation
import Prometheus
import StampedeCore
import Synchronization

/// The coordinator's Prometheus metrics (`GET /metrics`), named by Prometheus' conventions (base units,
/// `_total` for counters): arrivals by worker, requests by flow, step and class, each step's corrected latency as a
/// histogram, and what the live progress line shows. `deploy/grafana/stampede.json` is a board of them.
final class CoordinatorMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let scenario: Scenario
    private let inFlight: Gauge
    private let waiting: Gauge
    private let p99: Gauge
    private let expectedRate: Gauge
    private let counters = Mutex<[Key: Counter]>([:])
    private let latency = Mutex<[StepID: LatencyBuckets]>([:])

    /// A labelled counter, made the first time it counts.
    private struct Key: Hashable {
        var name: String
        var labels: [String]
    }

    private static let help = [
        "stampede_intervals_merged_total": "Worker intervals merged",
        "stampede_arrivals_planned_total": "Arrivals that came due",
        "stampede_arrivals_started_total": "Shoppers started",
        "stampede_arrivals_dropped_total": "Arrivals dropped at the cap",
        "stampede_requests_total": "Requests completed, by class (ok, throttled, 4xx, 5xx, error)",
        "stampede_request_errors_total": "Requests failed, by why (the report's error labels)",
    ]

    private static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    init(scenario: Scenario) {
        self.scenario = scenario
        inFlight = registry.makeGauge(
            descriptor: Self.named("stampede_shoppers_in_flight", "Shoppers going, last second"))
        waiting = registry.makeGauge(
            descriptor: Self.named(
                "stampede_arrivals_waiting", "Arrivals due and held for a connection, last second"))
        p99 = registry.makeGauge(
            descriptor: Self.named("stampede_latency_p99_seconds", "Corrected p99 latency, last second"))
        expectedRate = registry.makeGauge(
            descriptor: Self.named("stampede_expected_arrivals_per_second", "Planned rate now"))
        for id in scenario.stepIDs {
            let names = scenario.names(of: id)
            let step = [("flow", names.flow), ("step", names.step)]
            for name in Self.classes { count("stampede_requests_total", step + [("class", name)], by: 0) }
            for label in Self.commonErrors {
                count("stampede_request_errors_total", step + [("label", label.rawValue)], by: 0)
            }
            latency.withLock { $0[id] = LatencyBuckets() }
        }
    }

    /// Request classes, and the error labels every step starts with at 0 (so a board's queries find their series
    /// before the first failure, as Prometheus advises for known label values).
    static let classes = ["ok", "throttled", "4xx", "5xx", "error"]
    static let commonErrors: [ErrorLabel] = [.connect, .files, .timeout, .reset, .status5xx, .status4xx, .check]

    private func count(_ name: String, _ labels: [(String, String)], by amount: Int) {
        let key = Key(name: name, labels: labels.flatMap { [$0.0, $0.1] })
        let counter = counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = registry.makeCounter(
                descriptor: Self.named(name, Self.help[name] ?? name), labels: labels)
            counters[key] = counter
            return counter
        }
        if amount > 0 { counter.increment(by: Int64(amount)) }
    }

    func record(_ interval: IntervalReport, progress: StampedeCore.Progress) {
        let worker = [("worker", interval.worker)]
        count("stampede_intervals_merged_total", worker, by: 1)
        var shoppers = ArrivalCounts()
        for slot in interval.slots { shoppers.add(slot.counts) }
        count("stampede_arrivals_planned_total", worker, by: shoppers.planned)
        count("stampede_arrivals_started_total", worker, by: shoppers.started)
        count("stampede_arrivals_dropped_total", worker, by: shoppers.dropped)
        for record in interval.steps {
            let names = scenario.names(of: record.id)
            let step = [("flow", names.flow), ("step", names.step)]
            let counts = record.counts
            for (label, failed) in counts.errors {
                count("stampede_request_errors_total", step + [("label", label.rawValue)], by: failed)
            }
            let class5xx = counts.errors[.status5xx] ?? 0
            let class4xx = counts.errors[.status4xx] ?? 0
            count("stampede_requests_total", step + [("class", "ok")], by: counts.ok)
            count("stampede_requests_total", step + [("class", "throttled")], by: counts.throttled)
            count("stampede_requests_total", step + [("class", "5xx")], by: class5xx)
            count("stampede_requests_total", step + [("class", "4xx")], by: class4xx)
            count("stampede_requests_total", step + [("class", "error")], by: counts.failed - class5xx - class4xx)
            latency.withLock { $0[record.id, default: LatencyBuckets()].add(record.corrected) }
        }
        inFlight.set(Double(progress.point.inFlight))
        waiting.set(Double(progress.point.waiting))
        p99.set((progress.p99 ?? 0) / 1000)
        expectedRate.set(progress.point.expected)
    }

    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        let histograms = latency.withLock { $0 }
        var text = "# HELP stampede_request_duration_seconds Corrected latency (from the intended start) of each step\n"
        text += "# TYPE stampede_request_duration_seconds histogram\n"
        for id in histograms.keys.sorted() {
            let names = scenario.names(of: id)
            text += histograms[id]!.exposition(
                name: "stampede_request_duration_seconds",
                labels: "flow=\"\(Self.escape(names.flow))\",step=\"\(Self.escape(names.step))\"")
        }
        buffer += Array(text.utf8)
        return buffer
    }

    static func escape(_ value: String) -> String {
        value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
