import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Hummingbird
import Logging
import StampedeClock
import StampedeHTTP
public import StampedeCore

/// TLS for the coordinator's gRPC port: its certificate and key (PEM files), and optionally a CA whose client
/// certificates it requires (mutual TLS).
public struct CoordinatorTLS: Sendable {
    public var certificate: String
    public var key: String
    public var clientCA: String?

    public init(certificate: String, key: String, clientCA: String? = nil) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
    }
}

public struct CoordinatorConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port.
    public var port: Int
    public var token: String
    public var tls: CoordinatorTLS?
    /// Where Prometheus metrics are served (`GET /metrics`); nil for none.
    public var metricsPort: Int?

    public init(host: String = "127.0.0.1", port: Int = 7070, token: String, tls: CoordinatorTLS? = nil, metricsPort: Int? = nil) {
        self.host = host
        self.port = port
        self.token = token
        self.tls = tls
        self.metricsPort = metricsPort
    }
}

/// A distributed run from the coordinator's side: serves workers over gRPC (and metrics over HTTP) until the
/// ``Cluster`` completes, then writes the report.
public struct CoordinatorServer: Sendable {
    public var configuration: CoordinatorConfiguration
    public var record: RunRecord
    public var settings: ClusterSettings
    /// Where run directories go; nil writes nothing.
    public var runsDirectory: String?

    public init(configuration: CoordinatorConfiguration, record: RunRecord, settings: ClusterSettings, runsDirectory: String?) {
        self.configuration = configuration
        self.record = record
        self.settings = settings
        self.runsDirectory = runsDirectory
    }

    public struct Outcome: Sendable {
        public var report: RunReport
        public var consoleReport: String
        public var directory: String?
        /// Worker intervals merged, and the coordinator's CPU time (user + system, all of it: gRPC, merging,
        /// writing, progress) per interval merged, in microseconds.
        public var mergedIntervals: Int
        public var cpuMicrosPerInterval: Double
    }

    /// Runs to completion. `listening` gets the gRPC port (and the metrics port) once workers can connect; `stop`
    /// is polled and stops the run when it says so.
    public func run(
        notify: @escaping @Sendable (String) -> Void,
        listening: @escaping @Sendable (_ port: Int, _ metricsPort: Int?) async -> Void = { _, _ in },
        stopRequested: @escaping @Sendable () -> String? = { nil }
    ) async throws -> Outcome {
        guard let origin = Origin(url: record.target) else {
            throw CoordinatorError("the target \(record.target) is not an http:// URL with a host")
        }
        // The coordinator's own requests to the target: setup before the run, the books around it. They trust what
        // the workers trust, and let ALPN pick the protocol (the books may live on another origin than the shop).
        var ownTransport = record.transport ?? TargetTransport()
        ownTransport.protocolName = HTTPProtocolChoice.auto.rawValue
        let ownClient = try HTTPClientConfiguration(ownTransport, maxConnectionsPerOrigin: 4, eventLoopThreads: 1)
        return try await withHTTPClient(ownClient) { client in
            if let setup = record.scenario.setup, !setup.isEmpty {
                try await TargetSetup.run(setup, origin: origin, client: client)
                notify("target set up (\(setup.count) request\(setup.count == 1 ? "" : "s"))")
            }
            let watch = GroundTruthWatch(spec: record.scenario.groundTruth, origin: origin, client: client)
            var conductor: DrillConductor? = nil
            if let drill = record.scenario.drill {
                conductor = DrillConductor(drill: drill, plan: try record.plan(), target: origin, client: client)
                try await conductor!.prepare()
                notify("payment drill: \(drill.channels.count) channels reset, primary \(drill.primary), "
                       + "\(drill.faults.count) fault\(drill.faults.count == 1 ? "" : "s") to inject")
            }
            return try await serve(
                watch: watch, conductor: conductor, notify: notify, listening: listening, stopRequested: stopRequested)
        }
    }

    private func serve(
        watch: GroundTruthWatch, conductor: DrillConductor?, notify: @escaping @Sendable (String) -> Void,
        listening: @escaping @Sendable (_ port: Int, _ metricsPort: Int?) async -> Void,
        stopRequested: @escaping @Sendable () -> String?
    ) async throws -> Outcome {
        let directory = try runsDirectory.map { try RunDirectory.create(under: $0, record: record) }
        defer { directory?.close() }
        let cluster = try Cluster(
            record: record, settings: settings, directory: directory, watch: watch, conductor: conductor, notify: notify)
        await cluster.session.setReporters(settings.expectedWorkers)
        let metrics = CoordinatorMetrics()
        await cluster.session.observe { interval, progress in metrics.record(interval, progress: progress) }
        let server = GRPCServer(
            transport: .http2NIOPosix(
                address: .ipv4(host: configuration.host, port: configuration.port),
                transportSecurity: try transportSecurity(),
                config: .defaults { $0.rpc.maxRequestPayloadSize = 16 << 20 }),
            services: [CoordinatorService(cluster: cluster, token: configuration.token)])
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.serve() }
            group.addTask { await watch.run() }
            if record.scenario.groundTruth != nil || conductor != nil {
                let spec = record.scenario.groundTruth
                group.addTask { try await Self.atStart(cluster: cluster, watch: spec.map { (watch, $0) }, conductor: conductor) }
            }
            guard let port = try await server.listeningAddress?.ipv4?.port else {
                throw CoordinatorError("the coordinator could not listen on \(configuration.host):\(configuration.port)")
            }
            let (metricsPorts, metricsPortSink) = AsyncStream.makeStream(of: Int.self)
            if let metricsPort = configuration.metricsPort {
                let router = Router()
                router.get("/metrics") { _, _ in
                    Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                             body: .init(byteBuffer: ByteBuffer(bytes: metrics.render())))
                }
                var logger = Logger(label: "stampede.metrics")
                logger.logLevel = .warning
                let app = Application(
                    router: router, configuration: .init(address: .hostname(configuration.host, port: metricsPort)),
                    onServerRunning: { channel in
                        metricsPortSink.yield(channel.localAddress?.port ?? 0)
                        metricsPortSink.finish()
                    }, logger: logger)
                group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            } else {
                metricsPortSink.finish()
            }
            var ports = metricsPorts.makeAsyncIterator()
            let boundMetrics = await ports.next()
            notify("coordinator listening on \(configuration.host):\(port)"
                   + (boundMetrics.map { ", metrics on http://\(configuration.host):\($0)/metrics" } ?? "")
                   + "; waiting for \(settings.expectedWorkers) worker\(settings.expectedWorkers == 1 ? "" : "s")")
            await listening(port, boundMetrics)
            group.addTask {
                while await cluster.phase != .complete {
                    if let reason = stopRequested() {
                        await cluster.stop(reason: reason)
                        break
                    }
                    try await Task.sleep(for: .milliseconds(50))
                }
            }
            let cpuBefore = ProcessCPU.seconds()
            let finished = await cluster.run()
            server.beginGracefulShutdown()
            group.cancelAll()
            let merged = await cluster.mergedIntervals
            let cpu = ProcessCPU.seconds() - cpuBefore
            return Outcome(
                report: finished.report, consoleReport: finished.consoleReport, directory: directory?.path,
                mergedIntervals: merged, cpuMicrosPerInterval: merged > 0 ? cpu * 1e6 / Double(merged) : 0)
        }
    }

    /// Once the start instant is known (before the first arrival): arms the drill's faults, reads the books, then
    /// reads them every `spec.every`.
    private static func atStart(
        cluster: Cluster, watch: (GroundTruthWatch, GroundTruthSpec)?, conductor: DrillConductor?
    ) async throws {
        var start: Int64? = nil
        while start == nil {
            if await cluster.phase == .complete { return }
            start = await cluster.start
            if start == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        await conductor?.arm(start: start!)
        guard let (watch, spec) = watch else { return }
        await watch.readBefore(atSecond: Double(ProcessClock.now() - start!) / 1e9)
        guard spec.every > 0 else { return }
        while true {
            try await Task.sleep(for: .seconds(double: spec.every))
            guard await cluster.phase == .running else { return }
            await watch.poll(atSecond: Double(ProcessClock.now() - start!) / 1e9)
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

/// This process's CPU time (user + system).
enum ProcessCPU {
    static func seconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6 + Double(usage.ru_stime.tv_sec)
            + Double(usage.ru_stime.tv_usec) / 1e6
    }
}

/// Why a coordinator could not run.
public struct CoordinatorError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
