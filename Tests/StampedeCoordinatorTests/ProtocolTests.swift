import Foundation
import StampedeClock
import StampedeCore
import StampedeProtocol
import StampedeWorker
import SwiftProtobuf
import Testing

@testable import StampedeCoordinator

struct ProtocolTests {
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

    @Test func anIntervalSurvivesTheWire() throws {
        let recorder = Recorder(worker: "w1")
        recorder.arrival(slot: 0, started: true, lagMicros: 12)
        recorder.shopperEnded(slot: 0, .failed(.timeout))
        for value in [900, 1_200, 55_000, 3_000_000] as [UInt64] {
            recorder.request(
                slot: 0, step: StepID(flow: 0, step: 1), .ok, correctedMicros: value, uncorrectedMicros: value / 2)
        }
        recorder.request(
            slot: 0, step: StepID(flow: 0, step: 0), .failed(.status5xx), correctedMicros: 10, uncorrectedMicros: 9)
        let interval = recorder.close(second: 3, inFlight: 7, waiting: 5)
        #expect(interval.waiting == 5)
        let bytes: [UInt8] = try interval.message().serializedBytes()
        let decoded = try IntervalReport(Stampede_V1_Interval(serializedBytes: bytes), worker: "w1")
        #expect(decoded == interval)
        let json = try JSONEncoder().encode(interval)
        #expect(bytes.count * 3 < json.count, "\(bytes.count) bytes on the wire, \(json.count) as JSON")
    }

    @Test func aHostileIntervalIsRefused() throws {
        var message = Stampede_V1_Interval()
        var stats = Stampede_V1_StepStats()
        stats.flow = -1
        message.steps = [stats]
        #expect(throws: ProtocolError.self) { try IntervalReport(message, worker: "w") }
        // A step the scenario does not have decodes, and the coordinator's merge refuses it.
        stats.flow = 9
        message.steps = [stats]
        let stranger = try IntervalReport(message, worker: "w")
        let plan = try Plan(
            profile: Profile(name: "p", shape: .stages([Stage(duration: 10, from: 1, to: 1)])),
            scale: RunScale(peakRate: 10, compression: .speed(1)))
        #expect(RunAggregator(plan: plan, scenario: Self.scenario).problem(with: stranger) != nil)
        stats.flow = 0
        stats.corrected.valueDeltas = [5, 0]
        stats.corrected.counts = [1, 1]
        message.steps = [stats]
        #expect(throws: ProtocolError.self) { try IntervalReport(message, worker: "w") }
    }

    @Test func aRunSurvivesTheWire() throws {
        let record = RunRecord(
            id: "wire", startedAt: "2026-11-26T00:00:00Z",
            profile: Profile(
                name: "p", shape: .hourly([1, 2, 3]), spikes: [Spike(label: "s", start: 3600, duration: 60, level: 2)]),
            scenario: Self.scenario,
            scale: RunScale(peakRate: 800, compression: .duration(90), window: ProfileWindow(start: 3600, end: 7200)),
            target: Origin(url: "https://[::1]:8443")!, seed: 11, arrivals: .uniform, workers: 3, maxShoppers: 500,
            connections: 64,
            transport: TargetTransport(
                protocolChoice: .h2, caFile: "/tmp/ca.pem", insecure: true, streamsPerConnection: 50,
                connectionPerShopper: true))
        let bytes: [UInt8] = try Stampede_V1_Run(record).serializedBytes()
        #expect(try RunRecord(Stampede_V1_Run(serializedBytes: bytes)) == record)
        var speed = record
        speed.scale = RunScale(peakRate: 5, compression: .speed(1440))
        speed.transport = nil
        #expect(try RunRecord(Stampede_V1_Run(speed)) == speed)
        #expect(throws: ProtocolError.self) { try RunRecord(Stampede_V1_Run()) }
    }

    @Test(arguments: [
        StopReason.planOver, .interrupted, .declaredLost, .leaseExpired(after: .milliseconds(3_000)), .coordinatorGone,
        .refused("the run is over"), .thresholdBroken("error_rate(all) < 20%"),
        .targetUnreached("not one of 12 requests in 10 s could open a connection"),
    ])
    func aStopReasonSurvivesTheWire(_ reason: StopReason) throws {
        let bytes: [UInt8] = try Stampede_V1_StopReason(reason).serializedBytes()
        #expect(StopReason(try Stampede_V1_StopReason(serializedBytes: bytes)) == reason)
    }

    /// Three workers record known values; the coordinator's merge gives exactly the percentiles of their union.
    /// A coordinator's state machine for a 10 s run of `workers` workers, every one of them said hello at `at`.
    static func machine(workers: Int, at: MonotonicInstant) throws -> CoordinatorStateMachine {
        let profile = Profile(name: "p", shape: .stages([Stage(duration: 10, from: 1, to: 1)]))
        let record = RunRecord(
            id: "machine", startedAt: "", profile: profile, scenario: Self.scenario,
            scale: RunScale(peakRate: 10, compression: .speed(1)), target: Origin(url: "http://127.0.0.1:1")!, seed: 1,
            arrivals: .uniform, workers: workers, maxShoppers: 1, connections: 1)
        var machine = CoordinatorStateMachine(
            record: record, plan: try record.plan(), settings: CoordinatorSettings(expectedWorkers: workers))
        for worker in 1...workers { _ = machine.handle(.hello(ConnectionID(worker), name: "w\(worker)"), at: at) }
        return machine
    }

    @Test func mergedPercentilesOfThreeWorkersEqualThoseOfTheUnion() throws {
        let now = MonotonicInstant(nanoseconds: 1_000_000_000)
        var machine = try Self.machine(workers: 3, at: now)
        var union = LatencyHistogram()
        var random = SeededRandom(seed: 5)
        for worker in 1...3 {
            let recorder = Recorder(worker: "w\(worker)")
            for second in 0..<4 {
                for _ in 0..<2_000 {
                    // Each worker its own distribution: fast, slow, long-tailed.
                    let value = UInt64(worker) * 700 + random.next() % (worker == 3 ? 2_000_000 : 20_000)
                    union.record(microseconds: value)
                    recorder.request(
                        slot: 0, step: StepID(flow: 0, step: 0), .ok, correctedMicros: value, uncorrectedMicros: value)
                }
                let interval = recorder.close(second: second, inFlight: 0)
                let wire = try interval.message().serializedBytes() as [UInt8]
                let message = try Stampede_V1_Interval(serializedBytes: wire)
                let decoded = Result { () throws(ProtocolError) in try IntervalReport(message, worker: "") }
                    .mapError { CoordinatorStateMachine.ProtocolProblem($0.message) }
                _ = machine.handle(.interval(ConnectionID(worker), decoded), at: now)
            }
        }
        var report: RunReport?
        for worker in 1...3 {
            for action in machine.handle(.finished(ConnectionID(worker), .planOver), at: now) {
                if case .finish(let finished) = action { report = finished }
            }
        }
        let merged = try #require(report).totals.corrected
        let expected = union.summary
        #expect(machine.mergedIntervals == 12)
        #expect(merged.count == 24_000)
        #expect(merged.p50 == expected.p50)
        #expect(merged.p99 == expected.p99)
        #expect(merged.p999 == expected.p999)
        #expect(merged.max == expected.max)
        #expect(try #require(report).steps[0].corrected == expected)
    }

    /// An interval that waits for room in a busy run loop still counts as the worker speaking when it arrives:
    /// only the worker that said nothing is lost.
    @Test func aWorkerHeardWhileTheLoopIsBehindIsNotLost() throws {
        let second = { (value: Double) in MonotonicInstant(nanoseconds: Int64(value * 1e9)) }
        var machine = try Self.machine(workers: 2, at: second(1))
        _ = machine.handle(.heard(ConnectionID(1)), at: second(3.5))
        let lost = { (actions: [CoordinatorStateMachine.Action]) in
            actions.compactMap { action -> String? in
                if case .fact(.workerLost(let gap)) = action { gap.worker } else { nil }
            }
        }
        // Behind (intervals wait to be merged): nobody is judged silent, and the run is told why, once.
        let behind = machine.handle(.tick(backlog: 12), at: second(4.5))
        #expect(lost(behind).isEmpty)
        #expect(
            behind.contains { if case .emit(.problem(let problem)) = $0 { problem.kind == .behind } else { false } })
        #expect(lost(machine.handle(.tick(), at: second(4.6))) == ["w2"])
    }
}
