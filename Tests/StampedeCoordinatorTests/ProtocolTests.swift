import Foundation
import StampedeCore
import StampedeProtocol
import StampedeWorker
import SwiftProtobuf
import Testing

@testable import StampedeCoordinator

struct ProtocolTests {
    static let scenario = Scenario(name: "s", flows: [
        Flow(name: "buy", steps: [Step(name: "browse", path: Template(literal: "/")), Step(name: "pay", path: Template(literal: "/p"))]),
    ])

    @Test func anIntervalSurvivesTheWire() throws {
        let recorder = Recorder(worker: "w1", scenario: Self.scenario)
        recorder.arrival(slot: 0, started: true, lagMicros: 12)
        recorder.shopperEnded(slot: 0, .failed(.timeout))
        for value in [900, 1_200, 55_000, 3_000_000] as [UInt64] {
            recorder.request(slot: 0, flow: 0, step: 1, .ok, correctedMicros: value, uncorrectedMicros: value / 2)
        }
        recorder.request(slot: 0, flow: 0, step: 0, .failed(.status5xx), correctedMicros: 10, uncorrectedMicros: 9)
        let interval = recorder.close(second: 3, inFlight: 7)
        let bytes: [UInt8] = try interval.message(steps: StepIndex(Self.scenario)).serializedBytes()
        let decoded = try IntervalReport(
            Stampede_V1_Interval(serializedBytes: bytes), worker: "w1", steps: StepIndex(Self.scenario))
        #expect(decoded == interval)
        let json = try JSONEncoder().encode(interval)
        #expect(bytes.count * 3 < json.count, "\(bytes.count) bytes on the wire, \(json.count) as JSON")
    }

    @Test func aHostileIntervalIsRefused() {
        var message = Stampede_V1_Interval()
        var stats = Stampede_V1_StepStats()
        stats.flow = 9
        message.steps = [stats]
        #expect(throws: ProtocolError.self) { try IntervalReport(message, worker: "w", steps: StepIndex(Self.scenario)) }
        stats.flow = 0
        stats.corrected.valueDeltas = [5, 0]
        stats.corrected.counts = [1, 1]
        message.steps = [stats]
        #expect(throws: ProtocolError.self) { try IntervalReport(message, worker: "w", steps: StepIndex(Self.scenario)) }
    }

    /// Three workers record known values; the coordinator's merge gives exactly the percentiles of their union.
    @Test func mergedPercentilesOfThreeWorkersEqualThoseOfTheUnion() async throws {
        let profile = Profile(name: "p", shape: .stages([Stage(duration: 10, from: 1, to: 1)]))
        let record = RunRecord(
            id: "merge", startedAt: "", profile: profile, scenario: Self.scenario,
            scale: RunScale(peakRate: 10, compression: .speed(1)), target: "http://127.0.0.1:1", seed: 1,
            arrivals: .uniform, workers: 3, maxShoppers: 1, connections: 1)
        let session = RunSession(record: record, plan: try record.plan(), directory: nil, progress: { _ in })
        var union = LatencyHistogram()
        var random = SeededRandom(seed: 5)
        for worker in 1...3 {
            let recorder = Recorder(worker: "w\(worker)", scenario: Self.scenario)
            for second in 0..<4 {
                for _ in 0..<2_000 {
                    // Each worker its own distribution: fast, slow, long-tailed.
                    let value = UInt64(worker) * 700 + random.next() % (worker == 3 ? 2_000_000 : 20_000)
                    union.record(microseconds: value)
                    recorder.request(slot: 0, flow: 0, step: 0, .ok, correctedMicros: value, uncorrectedMicros: value)
                }
                let interval = recorder.close(second: second, inFlight: 0)
                let wire = try interval.message(steps: StepIndex(Self.scenario)).serializedBytes() as [UInt8]
                await session.receive(try IntervalReport(
                    Stampede_V1_Interval(serializedBytes: wire), worker: "w\(worker)", steps: StepIndex(Self.scenario)))
            }
        }
        let report = await session.report(actualSeconds: 4, interrupted: false)
        let merged = report.totals.corrected
        let expected = union.summary
        #expect(merged.count == 24_000)
        #expect(merged.p50 == expected.p50)
        #expect(merged.p99 == expected.p99)
        #expect(merged.p999 == expected.p999)
        #expect(merged.max == expected.max)
        #expect(report.steps[0].corrected == expected)
    }
}
