public import ArgumentParser
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import StampedeClock
import StampedeCore
import StampedeProtocol
import StampedeWorker
import SwiftProtobuf

/// `stampede swarm`: a thousand workers, simulated, to measure what a coordinator can hold (`scripts/bench-swarm`).
/// Each simulated worker says hello like a real one, waits for its assignment, then streams one interval a second
/// with what a busy worker records — a histogram per step, ledgers, error labels, a failure sample now and then —
/// and says it finished at the plan's end. No load is sent anywhere.
public struct SwarmCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "swarm",
        abstract: "Simulate a fleet of workers streaming realistic intervals to a coordinator (a benchmark).")

    @Option(help: "The coordinator (host:port).") var coordinator = Endpoint(argument: "127.0.0.1:7070")!
    @Option(help: "Simulated workers.") var workers = 100
    @Option(help: "Seconds of intervals each streams (the coordinator's plan length).") var seconds = 20
    @Option(help: "Flows × steps per flow of the coordinator's scenario (the steps each interval reports).")
    var flows = 3
    @Option(help: "Steps per flow.") var steps = 10
    @Option(help: "Distinct latency values per step histogram and second (a busy worker has 40–120).")
    var buckets = 60
    @Option(help: "Workers per HTTP/2 connection.") var perConnection = 100
    @Option(help: "File holding the shared token.") var tokenFile: String?

    public init() {}

    public func run() async throws {
        try await failing("stampede swarm", Self.self) { try await work() }
    }

    /// Each count in its range: `--workers 99999999999` or `--steps 999999999` made a swarm no machine holds.
    public func validate() throws {
        try CommandLineNumbers.check(workers, 1...100_000, option: "--workers")
        try CommandLineNumbers.check(seconds, 1...Int(CommandLineNumbers.longest), option: "--seconds")
        try CommandLineNumbers.check(flows, 1...1_000, option: "--flows")
        try CommandLineNumbers.check(steps, 1...1_000, option: "--steps")
        try CommandLineNumbers.check(flows * steps, 1...10_000, option: "--flows × --steps")
        try CommandLineNumbers.check(buckets, 1...10_000, option: "--buckets")
        try CommandLineNumbers.check(perConnection, 1...100_000, option: "--per-connection")
    }

    private func work() async throws {
        let token = try Token.read(file: tokenFile)
        // A coordinator that is not there is said in words, as a worker says it, and the swarm did not run (4):
        // gRPC's "unavailable: Could not establish a connection … (errno: 111)" was exit 70.
        do {
            _ = try await CoordinatorProbe.waitUntilReachable(
                HostPort(host: coordinator.host, port: coordinator.port), timeout: .seconds(10),
                clock: ProcessClock(), logger: Logger(label: "stampede.swarm"))
        } catch let unreachable as CoordinatorProbe.Unreachable {
            throw CommandFailure(.incomplete, unreachable.description)
        }
        let connections = (workers + perConnection - 1) / perConnection
        let shape = Shape(flows: flows, steps: steps, buckets: buckets, seconds: seconds)
        let began = ContinuousClock.now
        let (workers, coordinator) = (self.workers, self.coordinator)
        // Bounded like every run: a coordinator that goes away (the calls would wait for it) ends the swarm too.
        let limit = Duration.seconds(seconds + 120)
        let finished = try await withThrowingTaskGroup(of: Int?.self) { outer in
            outer.addTask {
                try await withThrowingTaskGroup(of: Int.self) { group in
                    for connection in 0..<connections {
                        let members = Array(stride(from: connection, to: workers, by: connections))
                        group.addTask {
                            try await Self.connection(members, coordinator: coordinator, token: token, shape: shape)
                        }
                    }
                    return try await group.reduce(0, +)
                }
            }
            outer.addTask {
                try await Task.sleep(for: limit)
                return nil
            }
            defer { outer.cancelAll() }
            guard let first = try await outer.next(), let count = first else {
                throw CommandFailure(.incomplete, "the swarm did not finish within \(limit) (is the coordinator gone?)")
            }
            return count
        }
        var random = SeededRandom(seed: 7)
        let wire =
            try Self.interval(worker: "swarm-0", second: 0, shape: shape, random: &random).message()
            .serializedBytes() as [UInt8]
        print(
            "swarm: \(finished) of \(workers) simulated workers streamed \(seconds) intervals each over "
                + "\(connections) connection(s) in \(ContinuousClock.now - began); an interval is \(wire.count) bytes")
        if finished < workers { throw CommandFailure(.incomplete, "\(workers - finished) workers did not finish") }
    }

    struct Shape: Sendable {
        var flows: Int
        var steps: Int
        var buckets: Int
        var seconds: Int
    }

    /// One HTTP/2 connection carrying some of the workers' streams; returns how many finished.
    static func connection(
        _ members: [Int], coordinator: Endpoint, token: String, shape: Shape
    ) async throws -> Int {
        try await withGRPCClient(
            transport: .http2NIOPosix(
                target: HostPort(host: coordinator.host, port: coordinator.port).coordinatorTarget,
                transportSecurity: .plaintext,
                config: .defaults { $0.connection.maxIdleTime = nil })
        ) { client in
            let stub = Stampede_V1_Coordinator.Client(wrapping: client)
            return try await withThrowingTaskGroup(of: Bool.self) { group in
                for member in members {
                    group.addTask { try await Self.worker(member, stub: stub, token: token, shape: shape) }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
        }
    }

    /// One simulated worker's stream.
    static func worker(
        _ number: Int, stub: Stampede_V1_Coordinator.Client<some ClientTransport>, token: String, shape: Shape
    ) async throws -> Bool {
        var metadata = Metadata()
        metadata.addString("Bearer \(token)", forKey: "authorization")
        let (starts, startSink) = AsyncStream.makeStream(of: Int64.self)
        let name = "swarm-\(number)"
        return try await stub.attend(
            metadata: metadata,
            requestProducer: { writer in
                try await writer.write(
                    .with {
                        $0.kind = .hello(
                            .with {
                                $0.name = name
                                $0.version = StampedeVersion.current
                                $0.capacity = 1
                            })
                    })
                var iterator = starts.makeAsyncIterator()
                guard let start = await iterator.next() else { return }
                var random = SeededRandom(seed: 7, stream: UInt64(number))
                for second in 0..<shape.seconds {
                    let due = start + Int64(second + 1) * 1_000_000_000
                    let wait = due - ProcessClock.nanoseconds
                    if wait > 0 { try await Task.sleep(for: .nanoseconds(wait)) }
                    let report = Self.interval(worker: name, second: second, shape: shape, random: &random)
                    try await writer.write(.with { $0.kind = .interval(report.message()) })
                }
                try await writer.write(.with { $0.kind = .finished(.with { $0.reason = .init(StopReason.planOver) }) })
            },
            onResponse: { response in
                var assigned = false
                for try await message in response.messages {
                    if case .assignment(let assignment) = message.kind {
                        assigned = true
                        startSink.yield(assignment.startCoordinatorNanos)
                    }
                }
                startSink.finish()
                return assigned
            })
    }

    /// What a busy worker records in a second: every step's latencies (a spread around a few milliseconds with a
    /// tail), its counts with an error label now and then, a ledger for two SKUs, and a failure sample sometimes.
    static func interval(worker: String, second: Int, shape: Shape, random: inout SeededRandom) -> IntervalReport {
        var steps: [StepRecord] = []
        for flow in 0..<shape.flows {
            for step in 0..<shape.steps {
                var histogram = LatencyHistogram()
                for bucket in 0..<shape.buckets {
                    let micros = 800 + UInt64(bucket * bucket * 40) + random.next() % 200
                    histogram.record(microseconds: micros, count: 1 + random.next() % 20)
                }
                var counts = RequestCounts()
                counts.requests = Int(histogram.count)
                counts.ok = counts.requests - 1
                counts.failed = 1
                counts.errors = [random.next() % 2 == 0 ? .timeout : .status5xx: 1]
                let sparse = histogram.sparse
                steps.append(
                    StepRecord(
                        slot: 0, step: StepID(flow: flow, step: step), counts: counts, corrected: sparse,
                        uncorrected: sparse))
            }
        }
        var slot = ArrivalCounts()
        slot.planned = 50
        slot.started = 50
        slot.succeeded = 48
        slot.failed = 2
        slot.failures = [.timeout: 2]
        var ledger = LedgerCounts()
        ledger.confirmedUnits = 3
        ledger.confirmations = 3
        ledger.soldOut = 5
        ledger.confirmedAt = [
            UInt64(second) * 1_000_000 + 1_000, UInt64(second) * 1_000_000 + 2_000, UInt64(second) * 1_000_000 + 3_000,
        ]
        let samples =
            second % 5 == 0
            ? [
                ErrorSample(
                    step: StepID(flow: 0, step: 1), label: .timeout,
                    detail: "POST /orders: no complete response within 10 s", at: UInt64(second) * 1_000_000)
            ] : []
        return IntervalReport(
            worker: worker, second: second, slots: [SlotRecord(slot: 0, counts: slot)], steps: steps, inFlight: 40,
            ledger: ["FLASH-1": ledger, "SKU-0001": ledger], samples: samples)
    }
}
