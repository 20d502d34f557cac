import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
import StampedeCore
import StampedeHTTP
import StampedeClock
import StampedeProtocol
import SwiftProtobuf
import Synchronization

/// TLS towards the coordinator: a CA to trust (default: the system's), and a client certificate when the
/// coordinator requires one.
public struct WorkerTLS: Sendable {
    public var ca: String?
    public var certificate: String?
    public var key: String?

    public init(ca: String? = nil, certificate: String? = nil, key: String? = nil) {
        self.ca = ca
        self.certificate = certificate
        self.key = key
    }
}

public struct WorkerAgentConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var name: String
    /// The shared secret; from a file or the environment, never the command line.
    public var token: String
    public var tls: WorkerTLS?
    public var eventLoopThreads: Int
    public var clockProbes: Int

    public init(
        host: String, port: Int, name: String, token: String, tls: WorkerTLS? = nil, eventLoopThreads: Int = 1,
        clockProbes: Int = 8
    ) {
        self.host = host
        self.port = port
        self.name = name
        self.token = token
        self.tls = tls
        self.eventLoopThreads = eventLoopThreads
        self.clockProbes = clockProbes
    }
}

/// How a worker's part ended.
public struct WorkerOutcome: Sendable {
    public var id: String?
    public var reason: String
    public var intervalsSent: Int
    /// Coordinator clock minus this worker's clock, and the round trip it was measured over (nanoseconds).
    public var clockOffset: Int64?
    public var roundTrip: Int64?
}

public struct WorkerAgentError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A worker under a coordinator: connects (presenting the token), measures its clock offset, waits for its
/// assignment, runs its share from the shared start instant, streams an interval a second, follows share
/// changes, and stops on the coordinator's word — or on its own when the coordinator falls silent for the lease.
/// No request reaches the target before an assignment arrives.
public struct WorkerAgent: Sendable {
    public let configuration: WorkerAgentConfiguration
    public let logger: Logger

    public init(configuration: WorkerAgentConfiguration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// Runs until the coordinator says the run is over (or is gone). `stop` is Ctrl-C at the worker.
    public func run(stop: StopSignal) async throws -> WorkerOutcome {
        let state = AgentState()
        do {
            try await withGRPCClient(
                transport: .http2NIOPosix(
                    target: .ipv4(address: configuration.host, port: configuration.port),
                    transportSecurity: try transportSecurity(),
                    config: .defaults { $0.connection.maxIdleTime = nil })
            ) { client in
                let coordinator = Stampede_V1_Coordinator.Client(wrapping: client)
                let (outbound, out) = AsyncStream.makeStream(of: Stampede_V1_WorkerMessage.self)
                var metadata = Metadata()
                metadata.addString("Bearer \(configuration.token)", forKey: "authorization")
                try await coordinator.attend(
                    metadata: metadata,
                    requestProducer: { writer in
                        for await message in outbound { try await writer.write(message) }
                    },
                    onResponse: { response in
                        try await converse(response: response, out: out, state: state, stop: stop)
                    })
            }
        } catch let error as RPCError {
            switch error.code {
            case .unauthenticated, .failedPrecondition, .permissionDenied:
                throw WorkerAgentError("the coordinator refused this worker: \(error.message)")
            default:
                if state.snapshot.assigned == false {
                    throw WorkerAgentError(
                        "cannot reach the coordinator at \(configuration.host):\(configuration.port): \(error.message)")
                }
            }
        }
        let snapshot = state.snapshot
        if let error = snapshot.streamError {
            switch error.code {
            case .unauthenticated, .failedPrecondition, .permissionDenied:
                throw WorkerAgentError("the coordinator refused this worker: \(error.message)")
            default:
                if !snapshot.assigned {
                    throw WorkerAgentError(
                        "cannot reach the coordinator at \(configuration.host):\(configuration.port): \(error.message)")
                }
            }
        }
        return WorkerOutcome(
            id: snapshot.id, reason: stop.reason ?? snapshot.endReason ?? "the run ended",
            intervalsSent: snapshot.intervalsSent, clockOffset: snapshot.offset.offset, roundTrip: snapshot.offset.roundTrip)
    }

    private func converse(
        response: StreamingClientResponse<Stampede_V1_CoordinatorMessage>,
        out: AsyncStream<Stampede_V1_WorkerMessage>.Continuation, state: AgentState, stop: StopSignal
    ) async throws {
        let (assignments, assignmentSink) = AsyncStream.makeStream(of: Stampede_V1_Assignment.self)
        /// One message from the coordinator.
        @Sendable func handle(_ message: Stampede_V1_CoordinatorMessage) {
            switch message.kind {
            case .welcome(let welcome): state.welcome(welcome)
            case .clockReply(let reply):
                state.clock(sent: reply.workerNanos, remote: reply.coordinatorNanos, received: ProcessClock.now())
            case .assignment(let assignment):
                state.assigned()
                assignmentSink.yield(assignment)
            case .reassignment(let change):
                if let share = try? Share(keyRanges: change.share) { state.change(share, from: Double(change.fromSecond)) }
            case .heartbeat: break
            case .stop(let order):
                logger.info("the coordinator stops this worker", metadata: ["reason": "\(order.reason)"])
                state.ended(order.reason)
                stop.stop(reason: order.reason, drain: .milliseconds(Int64(order.drainMillis)))
                assignmentSink.finish()
            case nil: break
            }
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            // What the coordinator says.
            group.addTask {
                defer {
                    assignmentSink.finish()
                    state.coordinatorGone()
                    // With nobody in control, nothing more goes to the target.
                    stop.stop(reason: "the coordinator is gone", drain: .zero)
                }
                do {
                    for try await message in response.messages {
                        state.heard()
                        handle(message)
                    }
                } catch let error as RPCError {
                    state.broke(error)
                }
            }
            // Clock probes, then hello.
            group.addTask {
                for sequence in 0..<configuration.clockProbes {
                    out.yield(.with {
                        $0.kind = .clockProbe(.with {
                            $0.sequence = UInt64(sequence)
                            $0.workerNanos = ProcessClock.now()
                        })
                    })
                    try await Task.sleep(for: .milliseconds(15))
                }
                try await Task.sleep(for: .milliseconds(50))
                out.yield(.with { $0.kind = .hello(.with { $0.name = configuration.name; $0.version = "stampede/0.2" }) })
            }
            // The lease: silence for its length stops the load.
            group.addTask {
                while !state.snapshot.done {
                    if let silence = state.silence(), silence > state.snapshot.lease {
                        logger.warning("no word from the coordinator: stopping all load (lease expired)")
                        state.ended("lease expired: no word from the coordinator for \(state.snapshot.lease / 1_000_000) ms")
                        stop.stop(reason: "lease expired", drain: .zero)
                        return
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            // The run itself.
            var iterator = assignments.makeAsyncIterator()
            if let assignment = await iterator.next(), !stop.isStopped {
                try await runAssignment(assignment, out: out, state: state, stop: stop)
            }
            out.yield(.with { $0.kind = .finished(.with { $0.reason = stop.reason ?? "the plan is over" }) })
            out.finish()
            state.finish()
            // Wait (briefly) for the coordinator to close the stream, so the last messages are delivered; not when
            // its silence is why we stopped.
            let silent = state.snapshot.endReason?.hasPrefix("lease expired") == true
            try? await withTimeout(silent ? .zero : .seconds(5)) {
                while !state.snapshot.coordinatorGone { try await Task.sleep(for: .milliseconds(20)) }
            }
            group.cancelAll()
        }
    }

    private func runAssignment(
        _ assignment: Stampede_V1_Assignment, out: AsyncStream<Stampede_V1_WorkerMessage>.Continuation,
        state: AgentState, stop: StopSignal
    ) async throws {
        let record = try JSONDecoder().decode(AssignedRun.self, from: assignment.runRecordJson)
        let plan = try Plan(profile: record.profile, scale: record.scale)
        guard let origin = Origin(url: record.target) else { throw WorkerAgentError("the target \(record.target) is not a URL") }
        let share = try Share(keyRanges: assignment.share)
        let snapshot = state.snapshot
        let id = snapshot.id ?? configuration.name
        guard let localStart = snapshot.offset.local(assignment.startCoordinatorNanos) else {
            throw WorkerAgentError("no clock reply from the coordinator; cannot place the start instant")
        }
        let settings = WorkerSettings(
            name: id, seed: record.seed, arrivals: record.arrivals, maxShoppers: Int(assignment.maxShoppers),
            requestTimeout: .milliseconds(Int64(assignment.requestTimeoutMillis)),
            connectionPerShopper: record.transport?.connectionPerShopper ?? false)
        let run = WorkerRun(
            plan: plan, runtime: ScenarioRuntime(scenario: record.scenario, origin: origin, bursts: plan.profile.bursts),
            schedule: ShareSchedule(share, from: Double(assignment.fromSecond)), settings: settings, logger: logger)
        state.attach(run.changes)
        let steps = StepIndex(record.scenario)
        logger.info("assigned", metadata: [
            "worker": "\(id)", "share": "\(share.fraction)", "from": "\(assignment.fromSecond)",
            "clockOffsetMicros": "\((snapshot.offset.offset ?? 0) / 1000)",
            "roundTripMicros": "\((snapshot.offset.roundTrip ?? 0) / 1000)",
        ])
        let transport = record.transport ?? TargetTransport()
        try await withHTTPClient(
            try HTTPClientConfiguration(transport, maxConnectionsPerOrigin: Int(assignment.connections),
                                        eventLoopThreads: configuration.eventLoopThreads)
        ) { client in
            await run.run(client: client, start: ProcessClock.instant(atNanos: localStart), stop: stop) { interval in
                out.yield(.with { $0.kind = .interval(interval.message(steps: steps)) })
                state.sentInterval()
            }
        }
    }

    private func transportSecurity() throws -> HTTP2ClientTransport.Posix.TransportSecurity {
        guard let tls = configuration.tls else { return .plaintext }
        return .tls { config in
            if let ca = tls.ca { config.trustRoots = .certificates([.file(path: ca, format: .pem)]) }
            if let certificate = tls.certificate, let key = tls.key {
                config.certificateChain = [.file(path: certificate, format: .pem)]
                config.privateKey = .file(path: key, format: .pem)
            }
        }
    }
}

/// The part of the coordinator's run record a worker needs (decoded leniently: the coordinator may know more).
struct AssignedRun: Decodable {
    var profile: Profile
    var scenario: Scenario
    var scale: RunScale
    var target: String
    var seed: UInt64
    var arrivals: ArrivalProcess
    var transport: TargetTransport?
}

/// What the worker agent knows, shared between its tasks.
final class AgentState: Sendable {
    struct Snapshot {
        var id: String?
        var lease: Int64 = 3_000_000_000
        var lastHeard: Int64?
        var offset = ClockOffset()
        var assigned = false
        var coordinatorGone = false
        var done = false
        var intervalsSent = 0
        var endReason: String?
        var changes: ShareChanges?
        /// Why the coordinator's stream broke, if it did.
        var streamError: RPCError?
        var pendingChanges: [(Share, Double)] = []
    }

    private let state = Mutex(Snapshot())

    var snapshot: Snapshot { state.withLock { $0 } }

    func heard() { state.withLock { $0.lastHeard = ProcessClock.now() } }

    /// Nanoseconds since the coordinator was last heard, once it has been heard at all.
    func silence() -> Int64? { state.withLock { $0.lastHeard.map { ProcessClock.now() - $0 } } }

    func welcome(_ welcome: Stampede_V1_Welcome) {
        state.withLock {
            $0.id = welcome.workerID
            if welcome.leaseMillis > 0 { $0.lease = Int64(welcome.leaseMillis) * 1_000_000 }
        }
    }

    func clock(sent: Int64, remote: Int64, received: Int64) {
        state.withLock { $0.offset.add(sent: sent, remote: remote, received: received) }
    }

    func assigned() { state.withLock { $0.assigned = true } }
    func broke(_ error: RPCError) { state.withLock { $0.streamError = $0.streamError ?? error } }
    func coordinatorGone() { state.withLock { $0.coordinatorGone = true } }
    func finish() { state.withLock { $0.done = true } }
    func sentInterval() { state.withLock { $0.intervalsSent += 1 } }
    func ended(_ reason: String) { state.withLock { $0.endReason = $0.endReason ?? reason } }

    /// A share change: straight to the run, or kept until the run exists.
    func change(_ share: Share, from: Double) {
        let changes = state.withLock { snapshot -> ShareChanges? in
            if snapshot.changes == nil { snapshot.pendingChanges.append((share, from)) }
            return snapshot.changes
        }
        changes?.post(share, from: from)
    }

    func attach(_ changes: ShareChanges) {
        let pending = state.withLock { snapshot in
            snapshot.changes = changes
            defer { snapshot.pendingChanges.removeAll() }
            return snapshot.pendingChanges
        }
        for (share, from) in pending { changes.post(share, from: from) }
    }
}

/// Runs `body`, giving up after `limit`.
func withTimeout(_ limit: Duration, _ body: @escaping @Sendable () async throws -> Void) async throws {
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await body() }
        group.addTask { try await Task.sleep(for: limit) }
        try await group.next()
        group.cancelAll()
    }
}
