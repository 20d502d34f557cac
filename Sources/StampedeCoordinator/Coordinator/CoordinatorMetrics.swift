import Prometheus
import StampedeCore

/// The coordinator's Prometheus metrics (`GET /metrics`): what the live progress line shows, for dashboards.
final class CoordinatorMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    private let intervals: Counter
    private let planned: Counter
    private let started: Counter
    private let dropped: Counter
    private let requests: Counter
    private let failed: Counter
    private let throttled: Counter
    private let inFlight: Gauge
    private let p99: Gauge
    private let expectedRate: Gauge

    /// A metric's whole name as given (no unit suffix added), with its help text.
    private static func named(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    init() {
        intervals = registry.makeCounter(
            descriptor: Self.named("stampede_intervals_merged_total", "Worker intervals merged"))
        planned = registry.makeCounter(
            descriptor: Self.named("stampede_arrivals_planned_total", "Arrivals that came due"))
        started = registry.makeCounter(descriptor: Self.named("stampede_arrivals_started_total", "Shoppers started"))
        dropped = registry.makeCounter(
            descriptor: Self.named("stampede_arrivals_dropped_total", "Arrivals dropped at the cap"))
        requests = registry.makeCounter(descriptor: Self.named("stampede_requests_total", "Requests completed"))
        failed = registry.makeCounter(descriptor: Self.named("stampede_requests_failed_total", "Requests failed"))
        throttled = registry.makeCounter(
            descriptor: Self.named("stampede_requests_throttled_total", "Requests answered 429"))
        inFlight = registry.makeGauge(
            descriptor: Self.named("stampede_shoppers_in_flight", "Shoppers going, last second"))
        p99 = registry.makeGauge(
            descriptor: Self.named("stampede_latency_p99_seconds", "Corrected p99 latency, last second"))
        expectedRate = registry.makeGauge(
            descriptor: Self.named("stampede_expected_arrivals_per_second", "Planned rate now"))
    }

    func record(_ interval: IntervalReport, progress: Progress) {
        intervals.increment()
        var shoppers = ArrivalCounts()
        for slot in interval.slots { shoppers.add(slot.counts) }
        var counts = RequestCounts()
        for step in interval.steps { counts.add(step.counts) }
        planned.increment(by: Int64(shoppers.planned))
        started.increment(by: Int64(shoppers.started))
        dropped.increment(by: Int64(shoppers.dropped))
        requests.increment(by: Int64(counts.requests))
        failed.increment(by: Int64(counts.failed))
        throttled.increment(by: Int64(counts.throttled))
        inFlight.set(Double(progress.point.inFlight))
        p99.set((progress.p99 ?? 0) / 1000)
        expectedRate.set(progress.point.expected)
    }

    func render() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
