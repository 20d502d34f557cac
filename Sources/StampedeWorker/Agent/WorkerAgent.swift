import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
public import Logging
public import ServiceLifecycle
public import StampedeClock
import StampedeCore
import StampedeProcess
import StampedeProtocol
import SwiftProtobuf
import Synchronization

/// A worker under a coordinator, as a `Service`: connects (presenting the token), measures its clock offset,
/// waits for its assignment, plays its share from the shared start instant, streams an interval a second,
/// follows share changes, and stops on the coordinator's word — or on its own when the coordinator falls silent
/// for the lease. Every input (a message, a tick of the clock, a graceful shutdown, the run's end) goes through
/// one ``WorkerStateMachine``. No request reaches the target before an assignment arrives.
///
/// ``run()`` throws a ``WorkerAgentError`` when the worker could not take part (refused, unreachable); otherwise
/// ``outcome`` says how its part ended.
public final class WorkerAgent: Service, Sendable {
    public let configuration: WorkerAgentConfiguration
    public let logger: Logger
    private let runner: any ShareRunner
    private let clock: any MonotonicClock
    private let machine: Mutex<WorkerStateMachine>
    private let inputs: AsyncStream<(WorkerStateMachine.Event, MonotonicInstant)>
    private let inputSink: AsyncStream<(WorkerStateMachine.Event, MonotonicInstant)>.Continuation

    public init(
        configuration: WorkerAgentConfiguration, logger: Logger, runner: (any ShareRunner)? = nil,
        clock: any MonotonicClock = ProcessClock(), settings: WorkerStateMachine.Settings = .init()
    ) {
        self.configuration = configuration
        self.logger = logger
        self.runner = runner ?? LoadRunner(eventLoopThreads: configuration.eventLoopThreads, logger: logger)
        self.clock = clock
        self.machine = Mutex(WorkerStateMachine(settings: settings))
        (inputs, inputSink) = AsyncStream.makeStream(of: (WorkerStateMachine.Event, MonotonicInstant).self)
    }

    /// How the worker's part ended, once it did.
    public var outcome: WorkerOutcome? {
        machine.withLock { machine in
            machine.stopReason.map {
                WorkerOutcome(
                    id: machine.id, reason: $0, stoppedByCoordinator: machine.stoppedByCoordinator,
                    intervalsSent: machine.intervalsSent, clockOffset: machine.offset.offset,
                    roundTrip: machine.offset.roundTrip)
            }
        }
    }

    public var state: WorkerStateMachine.State { machine.withLock { $0.state } }

    /// Where the agent is between its start and ``run()``'s return (the state machine says where the run is): for
    /// whoever waits on a worker that does not end, to see what it waits for.
    public enum Stage: String, Sendable {
        case waitingForCoordinator = "waiting for the coordinator"
        case connecting = "opening the stream"
        case conversing = "in the stream"
        case leaving = "left; its tasks ending"
        case closing = "left; the connection closing"
        case closed = "the connection closed"
    }

    public var stage: Stage { stageNow.withLock { $0 } }
    private let stageNow = Mutex(Stage.waitingForCoordinator)

    /// Stops the worker as Ctrl-C does.
    public func stop() {
        receive(.shutdown)
    }

    private func receive(_ event: WorkerStateMachine.Event) {
        inputSink.yield((event, clock.now))
    }

    public func run() async throws {
        let endpoint = HostPort(host: configuration.host, port: configuration.port)
        do {
            _ = try await cancelWhenGracefulShutdown {
                try await CoordinatorProbe.waitUntilReachable(
                    endpoint, timeout: self.configuration.joinTimeout, clock: self.clock, logger: self.logger)
            }
        } catch let unreachable as CoordinatorProbe.Unreachable {
            throw WorkerAgentError(.unreachable, unreachable.description)
        } catch {
            throw WorkerAgentError(.unreachable, "stopped while waiting for the coordinator at \(endpoint)")
        }
        stageNow.withLock { $0 = .connecting }
        try await withGracefulShutdownHandler {
            try await connect()
        } onGracefulShutdown: {
            self.stop()
        }
        if let failure = machine.withLock({ $0.failure }) {
            switch failure {
            case .refused(let message):
                throw WorkerAgentError(.refused, "the coordinator refused this worker: \(message)")
            case .broken(let message):
                throw WorkerAgentError(
                    .unreachable,
                    "cannot reach the coordinator at "
                        + "\(HostPort(host: configuration.host, port: configuration.port)): \(message)")
            }
        }
    }

    /// Dials the coordinator by what its address is (``HostPort/coordinatorTarget``; with TLS, the certificate is
    /// checked against the name dialled).
    private func connect() async throws {
        let target = HostPort(host: configuration.host, port: configuration.port).coordinatorTarget

        let (outbound, out) = AsyncStream.makeStream(of: Stampede_V1_WorkerMessage.self)
        var metadata = Metadata()
        metadata.addString("Bearer \(configuration.token)", forKey: "authorization")
        // Posted when the conversation is over: from then on the call and its connection have `closeGrace` to
        // close.
        let over = Signal()
        do {
            let transport = try HTTP2ClientTransport.Posix.http2NIOPosix(
                target: target, transportSecurity: try transportSecurity(),
                config: .defaults { $0.connection.maxIdleTime = nil })
            try await withThrowingTaskGroup(of: Bool.self) { [metadata] group in
                group.addTask {
                    try await withGRPCClient(transport: transport) { client in
                        try await Stampede_V1_Coordinator.Client(wrapping: client).attend(
                            metadata: metadata,
                            requestProducer: { writer in
                                for await message in outbound { try await writer.write(message) }
                            },
                            onResponse: { response in
                                await self.converse(response: response, out: out)
                                self.stageNow.withLock { $0 = .closing }
                                over.post()
                            })
                    }
                    return true
                }
                // A worker that has left does not wait without end for its connection to close (seen in tests,
                // rarely: the call and the client still open long after the conversation was over). After the
                // grace, in real time whatever the worker's clock, the client is cancelled, which closes it.
                group.addTask {
                    await over.wait()
                    return (try? await Task.sleep(for: Self.closeGrace)) == nil
                }
                if try await group.next() == false {
                    logger.warning(
                        "the connection to the coordinator did not close after the worker left: cut off",
                        metadata: ["grace": "\(Self.closeGrace)"])
                }
                // The other task is cancelled: the grace's wait when the connection closed in time, the client
                // when it did not (what that throws is not the worker's outcome: it had left).
                group.cancelAll()
            }
            stageNow.withLock { $0 = .closed }
        } catch let error as RPCError {
            // The call failed as a whole; the state machine keeps the first failure it was told of.
            _ = machine.withLock { $0.handle(.streamEnded(Self.failure(error)), at: clock.now) }
        }
    }

    /// How long a worker whose conversation is over waits for the call and its connection to close.
    public static let closeGrace: Duration = .seconds(2)

    /// Reads the coordinator's messages, ticks the clock, runs the share, and carries out what the state machine
    /// decides, until it says leave.
    private func converse(
        response: StreamingClientResponse<Stampede_V1_CoordinatorMessage>,
        out: AsyncStream<Stampede_V1_WorkerMessage>.Continuation
    ) async {
        let control = RunControl()
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                do {
                    for try await message in response.messages {
                        if let event = self.event(message) { self.receive(event) }
                    }
                    self.receive(.streamEnded(nil))
                } catch let error as RPCError {
                    self.receive(.streamEnded(Self.failure(error)))
                } catch {
                    self.receive(.streamEnded(.broken("\(error)")))
                }
            }
            group.addTask { await self.tick() }
            stageNow.withLock { $0 = .conversing }
            receive(.opened)
            loop: for await (event, now) in inputs {
                let actions = machine.withLock { $0.handle(event, at: now) }
                for action in actions {
                    switch action {
                    case .sendProbe(let sequence):
                        out.yield(
                            .with {
                                $0.kind = .clockProbe(
                                    .with {
                                        $0.sequence = UInt64(sequence)
                                        $0.workerNanos = clock.now.nanoseconds
                                    })
                            })
                    case .sendHello:
                        out.yield(
                            .with {
                                $0.kind = .hello(
                                    .with {
                                        $0.name = configuration.name
                                        $0.version = StampedeVersion.current
                                        $0.capacity = UInt32(clamping: configuration.capacity)
                                    })
                            })
                    case .startRun(let assignment, let start):
                        let worker = machine.withLock { $0.id } ?? configuration.name
                        logStart(assignment, worker: worker, start: start)
                        group.addTask { await self.play(assignment, start: start, worker: worker, control: control) }
                    case .changeShare(let share, let from):
                        control.changeShare(share, from: from)
                    case .stopRun(let reason, let drain):
                        logger.info("stopping the load", metadata: ["reason": "\(reason)"])
                        control.stop(reason, drain: drain)
                    case .sendInterval(let report):
                        out.yield(.with { $0.kind = .interval(report.message()) })
                    case .sendFinished(let reason):
                        out.yield(.with { $0.kind = .finished(.with { $0.reason = .init(reason) }) })
                        out.finish()
                    case .leave:
                        break loop
                    }
                }
            }
            stageNow.withLock { $0 = .leaving }
            out.finish()
            group.cancelAll()
        }
    }

    private func play(
        _ assignment: WorkerAssignment, start: MonotonicInstant, worker: String, control: RunControl
    ) async {
        do {
            let plan = try assignment.run.plan()
            await runner.run(assignment, plan: plan, start: start, worker: worker, control: control) { report in
                self.receive(.intervalClosed(report))
            }
        } catch {
            logger.error("the assigned plan is impossible", metadata: ["error": "\(error)"])
        }
        receive(.runEnded)
    }

    /// The clock's ticks, for the lease and the worker's own deadlines, until cancelled.
    private func tick() async {
        var next = clock.now
        while true {
            next = next.advanced(by: configuration.tick)
            do {
                try await clock.sleep(until: next, tolerance: nil)
            } catch {
                return
            }
            receive(.tick)
        }
    }

    /// A message from the coordinator as an event (nil for one that means nothing to a worker).
    private func event(_ message: Stampede_V1_CoordinatorMessage) -> WorkerStateMachine.Event? {
        switch message.kind {
        case .welcome(let welcome):
            return .welcome(
                id: welcome.workerID, lease: welcome.leaseMillis > 0 ? .milliseconds(Int64(welcome.leaseMillis)) : nil)
        case .clockReply(let reply):
            return .clockReply(
                sent: MonotonicInstant(nanoseconds: reply.workerNanos),
                coordinator: MonotonicInstant(nanoseconds: reply.coordinatorNanos))
        case .assignment(let assignment):
            do {
                return .assignment(
                    WorkerAssignment(
                        run: try RunRecord(assignment.run), share: try Share(keyRanges: assignment.share),
                        fromSecond: Int(assignment.fromSecond),
                        coordinatorStart: MonotonicInstant(nanoseconds: assignment.startCoordinatorNanos),
                        maxShoppers: Int(assignment.maxShoppers), connections: Int(assignment.connections),
                        requestTimeout: .milliseconds(Int64(assignment.requestTimeoutMillis))))
            } catch {
                return .unreadable("the assignment cannot be read: \(error)")
            }
        case .reassignment(let change):
            guard let share = try? Share(keyRanges: change.share) else {
                return .unreadable("a share change is malformed")
            }
            return .reassignment(share, from: Double(change.fromSecond))
        case .heartbeat:
            return .heartbeat
        case .stop(let order):
            return .stop(StopReason(order.reason), drain: .milliseconds(Int64(order.drainMillis)))
        case nil:
            return nil
        }
    }

    private static func failure(_ error: RPCError) -> WorkerStateMachine.StreamFailure {
        switch error.code {
        case .unauthenticated, .failedPrecondition, .permissionDenied: .refused(error.message)
        default: .broken(error.message)
        }
    }

    private func logStart(_ assignment: WorkerAssignment, worker: String, start: MonotonicInstant) {
        let offset = machine.withLock { $0.offset }
        logger.info(
            "assigned",
            metadata: [
                "worker": "\(worker)", "share": "\(assignment.share.fraction)", "from": "\(assignment.fromSecond)",
                "threads": "\(configuration.eventLoopThreads)",
                "clockOffsetMicros": "\((offset.offset ?? 0) / 1000)",
                "roundTripMicros": "\((offset.roundTrip ?? 0) / 1000)",
            ])
        if let shortfall = FileLimit.shortfall(connections: assignment.run.connectionsPerWorkerAtMost) {
            logger.warning("\(shortfall)")
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
