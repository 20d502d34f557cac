import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
public import ServiceLifecycle
public import StampedeClock
public import StampedeCore
import StampedeHTTP
import StampedeProtocol
import StampedeReport
import StampedeVerify
import SwiftProtobuf
import Synchronization

/// A distributed run from the coordinator's side, as a `Service`: prepares the target, serves workers over gRPC
/// (and metrics over HTTP), feeds every input — a worker's message, a tick of the clock, a stop, the result of a
/// read of the target — into one ``CoordinatorStateMachine`` in order, and carries out what it decides. What
/// happens is told on ``events`` (the console, a test or a dashboard reads it), ending with ``RunEvent/finished(_:)``.
/// A graceful shutdown (SIGINT/SIGTERM in a `ServiceGroup`) is a stop: the workers stop within a second, and the
/// report is still written, marked interrupted.
public final class Coordinator: Service, Sendable {
    public let configuration: CoordinatorConfiguration
    public let record: RunRecord
    public let plan: Plan
    public let settings: CoordinatorSettings
    /// What happens in the run, in order; it ends after ``RunEvent/finished(_:)`` (or when ``run()`` throws).
    public let events: AsyncStream<RunEvent>
    let clock: any MonotonicClock
    private let eventSink: AsyncStream<RunEvent>.Continuation
    private let inputs: AsyncStream<Input>
    private let inputSink: AsyncStream<Input>.Continuation
    /// At most this many intervals wait for the run loop (the rest wait in the workers' streams).
    let admission = Admission(limit: 4_096)
    private let machine: Mutex<CoordinatorStateMachine>
    private let connectionCount = Atomic<Int>(0)

    /// What reaches the run loop: a worker's stream opening (with its way back), or an event for the machine.
    enum Input: Sendable {
        case connected(ConnectionID, AsyncStream<Outbound>.Continuation)
        case event(CoordinatorStateMachine.Event, at: MonotonicInstant)
    }

    /// What goes down a worker's stream.
    enum Outbound: Sendable {
        case message(Stampede_V1_CoordinatorMessage)
        /// Ends the stream with an error: the worker is refused.
        case refuse(String)
    }

    public init(
        configuration: CoordinatorConfiguration, record: RunRecord, plan: Plan, settings: CoordinatorSettings,
        clock: any MonotonicClock = ProcessClock()
    ) {
        self.configuration = configuration
        self.record = record
        self.plan = plan
        self.settings = settings
        self.clock = clock
        self.machine = Mutex(CoordinatorStateMachine(record: record, plan: plan, settings: settings))
        (events, eventSink) = AsyncStream.makeStream(of: RunEvent.self)
        (inputs, inputSink) = AsyncStream.makeStream(of: Input.self)
    }

    /// Stops the run as Ctrl-C does (callable from anywhere, any number of times).
    public func stop(_ reason: StopReason = .interrupted) {
        inputSink.yield(.event(.stop(reason), at: clock.now))
    }

    public var phase: CoordinatorStateMachine.Phase { machine.withLock { $0.phase } }

    /// The shared start instant, once every expected worker is here.
    public var start: MonotonicInstant? { machine.withLock { $0.cluster.start } }

    /// A worker's stream opened: its number, and the stream of what to send it (the run loop writes to it; the
    /// stream's own handler answers clock probes on it directly).
    func connect() -> (ConnectionID, AsyncStream<Outbound>, AsyncStream<Outbound>.Continuation) {
        let id = ConnectionID(connectionCount.add(1, ordering: .relaxed).newValue)
        let (outbound, link) = AsyncStream.makeStream(of: Outbound.self)
        inputSink.yield(.connected(id, link))
        return (id, outbound, link)
    }

    func receive(_ event: CoordinatorStateMachine.Event) {
        inputSink.yield(.event(event, at: clock.now))
    }

    public func run() async throws {
        defer { eventSink.finish() }
        let cpuBefore = ProcessCPU.seconds()
        // The run directory first: a run whose results cannot be kept sends nothing to the target.
        let directory = try configuration.runsDirectory.map { try RunDirectory.create(under: $0, record: record) }
        defer { directory?.close() }
        // The coordinator's own requests to the target: setup before the run, the books around it. They trust what
        // the workers trust, and let ALPN pick the protocol (the books may live on another origin than the shop).
        var ownTransport = record.transport ?? TargetTransport()
        ownTransport.protocolChoice = .auto
        try await withHTTPClient(HTTPClientConfiguration(ownTransport, maxConnectionsPerOrigin: 4, eventLoopThreads: 1))
        {
            client in
            try await withBooksReader(
                record.scenario.groundTruth, origin: record.target, client: client,
                environment: configuration.environment
            ) { books in
                if let setup = record.scenario.setup, !setup.isEmpty {
                    do {
                        try await TargetSetup.run(setup, origin: record.target, client: client, books: books)
                    } catch {
                        throw RunNotStarted("\(error)")
                    }
                    eventSink.yield(.targetSetUp(requests: setup.count))
                }
                var conductor: DrillConductor? = nil
                if let drill = record.scenario.drill {
                    let prepared = DrillConductor(drill: drill, plan: plan, target: record.target, client: client)
                    do {
                        try await prepared.prepare()
                    } catch {
                        throw RunNotStarted("the payment drill could not be prepared: \(error)")
                    }
                    conductor = prepared
                    eventSink.yield(
                        .drillPrepared(
                            channels: drill.channels.count, primary: drill.primary, faults: drill.faults.count))
                }
                try await self.serve(directory: directory, books: books, conductor: conductor, cpuBefore: cpuBefore)
            }
        }
    }

    /// Where to listen: an IPv4 or IPv6 literal as it is, a name resolved (its first address).
    static func listenAddress(host: String, port: Int) throws -> (host: String, ipv6: Bool) {
        switch HostPort(host: host, port: port).kind {
        case .ipv4: return (host, false)
        case .ipv6: return (host, true)
        case .name:
            let resolved: NIOCore.SocketAddress
            do {
                resolved = try NIOCore.SocketAddress.makeAddressResolvingHost(host, port: port)
            } catch {
                throw CoordinatorError("cannot listen on \(host):\(port): the name does not resolve (\(error))")
            }
            guard let ip = resolved.ipAddress else { throw CoordinatorError("cannot listen on \(host): no address") }
            return (ip, resolved.protocol == .inet6)
        }
    }

    private func serve(
        directory: RunDirectory?, books: BooksReader?, conductor: DrillConductor?, cpuBefore: Double
    ) async throws {
        let metrics = CoordinatorMetrics(scenario: record.scenario)
        let listen = try Self.listenAddress(host: configuration.host, port: configuration.port)
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: listen.ipv6
                    ? .ipv6(host: listen.host, port: configuration.port)
                    : .ipv4(host: listen.host, port: configuration.port),
                transportSecurity: try transportSecurity(),
                config: .defaults { $0.rpc.maxRequestPayloadSize = 16 << 20 }),
            services: [CoordinatorService(coordinator: self)])
        try await withThrowingDiscardingTaskGroup { group in
            let (served, servedSink) = AsyncStream.makeStream(of: Void.self)
            group.addTask {
                defer { servedSink.finish() }
                do { try await server.serve() } catch  where Task.isCancelled {}  // stopped at the end of the run
            }
            guard let address = try await server.listeningAddress, let port = address.ipv4?.port ?? address.ipv6?.port
            else {
                throw CoordinatorError(
                    "the coordinator could not listen on \(configuration.host):\(configuration.port)")
            }
            var metricsPort: Int? = nil
            if let asked = configuration.metricsPort {
                let endpoint = MetricsEndpoint(metrics: metrics, host: configuration.host, port: asked)
                metricsPort = await Self.start(in: &group) { try await endpoint.run(listening: $0) }
                guard metricsPort != nil else {
                    throw CoordinatorError(
                        "cannot serve the metrics on \(HostPort(host: configuration.host, port: asked))")
                }
            }
            var dashboard: String? = nil
            if let asked = configuration.dashboardPort {
                let endpoint = DashboardEndpoint(
                    host: configuration.dashboardHost, port: asked, token: configuration.token,
                    snapshot: { self.dashboardSnapshot() }, stop: { self.stop(.interrupted) })
                guard let port = await Self.start(in: &group, { try await endpoint.run(listening: $0) }) else {
                    throw CoordinatorError(
                        "cannot serve the dashboard on \(HostPort(host: configuration.dashboardHost, port: asked))")
                }
                dashboard = "http://\(HostPort(host: configuration.dashboardHost, port: port))/"
            }
            eventSink.yield(
                .listening(
                    host: configuration.host, port: port, metricsPort: metricsPort, dashboard: dashboard,
                    expectedWorkers: settings.expectedWorkers))
            group.addTask { await self.tick() }
            var loop = RunLoop(directory: directory, metrics: metrics, books: books, conductor: conductor)
            await withGracefulShutdownHandler {
                for await input in inputs {
                    switch input {
                    case .connected(let connection, let link):
                        loop.links[connection] = link
                    case .event(let event, let now):
                        let actions = machine.withLock { $0.handle(event, at: now) }
                        if case .interval = event { admission.leave() }
                        for action in actions {
                            if let work = perform(action, loop: &loop) { group.addTask(operation: work) }
                        }
                    }
                    if let outcome = loop.outcome {
                        finish(outcome, loop: loop, cpuBefore: cpuBefore)
                        break
                    }
                }
            } onGracefulShutdown: {
                self.stop(.interrupted)
            }
            admission.openForGood()
            // Every worker's stream is closed: let the last messages (a stop, a refusal) reach them before the
            // server goes, for at most two seconds.
            server.beginGracefulShutdown()
            await withTaskGroup(of: Void.self) { wait in
                wait.addTask { for await _ in served {} }
                wait.addTask { try? await Task.sleep(for: .seconds(2)) }
                await wait.next()
                wait.cancelAll()
            }
            group.cancelAll()
        }
    }

    /// The run loop's own things: the way to each worker, where results go, and the report once made.
    private struct RunLoop {
        var links: [ConnectionID: AsyncStream<Outbound>.Continuation] = [:]
        let directory: RunDirectory?
        let metrics: CoordinatorMetrics
        let books: BooksReader?
        let conductor: DrillConductor?
        /// The first write to the run directory that failed, and why.
        var writeFailure: String?
        var outcome: RunReport?

        init(directory: RunDirectory?, metrics: CoordinatorMetrics, books: BooksReader?, conductor: DrillConductor?) {
            self.directory = directory
            self.metrics = metrics
            self.books = books
            self.conductor = conductor
        }
    }

    /// Carries out one action; work that takes time (a read of the target) is returned to run as a child task,
    /// whose result comes back as an event.
    private func perform(
        _ action: CoordinatorStateMachine.Action, loop: inout RunLoop
    ) -> (@Sendable () async -> Void)? {
        switch action {
        case .welcome(let connection, let worker):
            send(
                .welcome(
                    .with {
                        $0.workerID = worker
                        $0.leaseMillis = UInt32(settings.lease.wholeMilliseconds)
                        $0.heartbeatMillis = UInt32(settings.heartbeat.wholeMilliseconds)
                    }), to: connection, loop)
        case .refuse(let connection, let reason):
            send(.stop(.with { $0.reason = .init(reason) }), to: connection, loop)
            loop.links.removeValue(forKey: connection)?.yield(.refuse(reason.description))
        case .assign(let connection, let share, let fromSecond, let start):
            send(
                .assignment(
                    .with {
                        $0.run = .init(record)
                        $0.share = share.keyRanges
                        $0.startCoordinatorNanos = start.nanoseconds
                        $0.maxShoppers = UInt32(settings.maxShoppersPerWorker)
                        $0.connections = UInt32(settings.connectionsPerWorker)
                        $0.requestTimeoutMillis = UInt32(settings.requestTimeout.wholeMilliseconds)
                        $0.fromSecond = Int32(fromSecond)
                    }), to: connection, loop)
        case .reassign(let connection, let share, let fromSecond):
            send(
                .reassignment(
                    .with {
                        $0.share = share.keyRanges
                        $0.fromSecond = Int32(fromSecond)
                    }), to: connection, loop)
        case .stop(let connection, let reason, let drain):
            send(
                .stop(
                    .with {
                        $0.reason = .init(reason)
                        $0.drainMillis = UInt32(drain.wholeMilliseconds)
                    }), to: connection, loop)
        case .close(let connection):
            loop.links.removeValue(forKey: connection)?.finish()
        case .heartbeat(let connections):
            let beat = Stampede_V1_CoordinatorMessage.OneOf_Kind.heartbeat(
                .with { $0.coordinatorNanos = clock.now.nanoseconds })
            for connection in connections { send(beat, to: connection, loop) }
        case .record(let interval, let progress):
            loop.metrics.record(interval, progress: progress)
            writeDown(&loop) { try $0.append(interval) }
        case .fact(let fact):
            writeDown(&loop) { try $0.append(fact) }
        case .emit(let event):
            eventSink.yield(event)
        case .readBooks(let phase, let second, let delay):
            guard let books = loop.books else {
                return { [clock] in
                    self.inputSink.yield(
                        .event(
                            .booksRead(phase, .failure(GroundTruthError("the scenario names no books"))), at: clock.now)
                    )
                }
            }
            return { [clock] in
                if delay > .zero { try? await clock.sleep(for: delay) }
                let reading = await books.read(second: second)
                self.inputSink.yield(.event(.booksRead(phase, reading), at: clock.now))
            }
        case .armDrill(let startIn):
            guard let conductor = loop.conductor else { return nil }
            return { [clock] in
                let problem = await conductor.arm(startIn: startIn)
                self.inputSink.yield(.event(.drillArmed(problem: problem), at: clock.now))
            }
        case .gatherDrill(let armProblem):
            guard let conductor = loop.conductor else { return nil }
            return { [clock] in
                let drill = await conductor.gather(problem: armProblem)
                self.inputSink.yield(.event(.drillGathered(drill), at: clock.now))
            }
        case .finish(let report):
            loop.outcome = report
        }
        return nil
    }

    /// Appends to the run directory; the first failure is told in the system's words (it was Foundation's
    /// `Error Domain=NSCocoaErrorDomain Code=640 …`), and the run goes on: its report is still printed whole.
    private func writeDown(_ loop: inout RunLoop, _ write: (RunDirectory) throws -> Void) {
        guard let directory = loop.directory else { return }
        do {
            try write(directory)
        } catch {
            if loop.writeFailure == nil {
                let reason = FileErrorReason.of(error)
                loop.writeFailure = reason
                eventSink.yield(
                    .problem(
                        RunProblem(
                            .runDirectory,
                            "cannot write to the run directory \(directory.path): \(reason); the run goes on, and "
                                + "its report is printed whole")))
            }
        }
    }

    private func send(_ kind: Stampede_V1_CoordinatorMessage.OneOf_Kind, to connection: ConnectionID, _ loop: RunLoop) {
        loop.links[connection]?.yield(.message(.with { $0.kind = kind }))
    }

    /// Runs an HTTP endpoint as a child task until the run ends; its port once bound.
    private static func start(
        in group: inout ThrowingDiscardingTaskGroup<any Error>,
        _ run: @escaping @Sendable (_ listening: @escaping @Sendable (Int) -> Void) async throws -> Void
    ) async -> Int? {
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        group.addTask {
            defer { portSink.finish() }
            try await run {
                portSink.yield($0)
                portSink.finish()
            }
        }
        var iterator = ports.makeAsyncIterator()
        return await iterator.next()
    }

    /// What the live dashboard shows: the report so far, folded outside the lock.
    private func dashboardSnapshot() -> DashboardEndpoint.Snapshot {
        let aggregator = machine.withLock { $0.aggregator }
        return DashboardEndpoint.Snapshot(
            report: aggregator.report(record: record), series: aggregator.series(), running: aggregator.end == nil)
    }

    /// Writes the report and tells it.
    private func finish(_ report: RunReport, loop: RunLoop, cpuBefore: Double) {
        for link in loop.links.values { link.finish() }
        var writeFailure = loop.writeFailure
        do {
            try loop.directory?.writeReports(
                report, series: machine.withLock { $0.aggregator.series() },
                judgement: RunJudgement.of(report, gate: record.gate ?? GateSettings()))
            try loop.directory?.writeDistributions(machine.withLock { $0.aggregator.stepHistograms() })
        } catch {
            let reason = FileErrorReason.of(error)
            writeFailure = writeFailure ?? reason
            eventSink.yield(
                .problem(
                    RunProblem(.runDirectory, "cannot write the report into \(loop.directory?.path ?? "-"): \(reason)"))
            )
        }
        let merged = machine.withLock { $0.mergedIntervals }
        let cpu = ProcessCPU.seconds() - cpuBefore
        eventSink.yield(
            .finished(
                RunOutcome(
                    report: report, directory: loop.directory?.path, mergedIntervals: merged,
                    cpuMicrosPerInterval: merged > 0 ? cpu * 1e6 / Double(merged) : 0,
                    stopReason: machine.withLock { $0.stopReason }, directoryIncomplete: writeFailure)))
    }

    /// The clock's ticks, for heartbeats, losses and deadlines, until cancelled.
    private func tick() async {
        var next = clock.now
        while true {
            next = next.advanced(by: settings.tick)
            do {
                try await clock.sleep(until: next, tolerance: nil)
            } catch {
                return
            }
            inputSink.yield(.event(.tick(backlog: admission.backlog), at: clock.now))
        }
    }

    private func transportSecurity() throws -> HTTP2ServerTransport.Posix.TransportSecurity {
        guard let tls = configuration.tls else { return .plaintext }
        let chain: [TLSConfig.CertificateSource] = [.file(path: tls.certificate, format: .pem)]
        let key = TLSConfig.PrivateKeySource.file(path: tls.key, format: .pem)
        guard let clientCA = tls.clientCA else { return .tls(certificateChain: chain, privateKey: key) }
        return .mTLS(certificateChain: chain, privateKey: key) { config in
            config.trustRoots = .certificates([.file(path: clientCA, format: .pem)])
            config.clientCertificateVerification = .noHostnameVerification
        }
    }
}
