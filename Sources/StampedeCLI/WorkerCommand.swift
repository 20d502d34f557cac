public import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StampedeConfig
import StampedeCore
import StampedeWorker
import UnixSignals

/// `stampede-worker` (or `stampede worker`): connects to a coordinator and runs the share it is given.
public struct WorkerCommand: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: ProcessStart.commandName("worker"),
            abstract: "Send a share of a rehearsal's load, as a coordinator says.",
            discussion: "The token comes from --token-file or STAMPEDE_TOKEN, never from the command line. "
                + "With no word from the coordinator for its lease (3 s), the worker stops sending load on its own.",
            version: StampedeVersion.number)
    }

    @Option(
        help: "The coordinator: host:port, with a DNS name (a Kubernetes Service), an IPv4 address or [an IPv6 one].")
    var coordinator = Endpoint(argument: "127.0.0.1:7070")!
    @Option(help: "This worker's name (default: the host name).") var name: String?
    @Option(help: "File holding the shared token.") var tokenFile: String?
    @Option(help: "CA (PEM) to trust for the coordinator's TLS certificate.") var ca: String?
    @Option(help: "Client certificate (PEM), when the coordinator requires one.") var tlsCert: String?
    @Option(help: "Client private key (PEM).") var tlsKey: String?
    @Option(help: "Event-loop threads for the HTTP engine.") var threads = 1
    @Option(
        help:
            "Keep trying to reach the coordinator this long (a worker may start before it, as pods of a Job do).")
    var joinTimeout = "60s"
    @Option(help: "What this worker can do relative to the others; its share is proportional (default: its cores).")
    var capacity: Int?
    @Flag(
        help:
            "After a run, wait for the next one (the steps of `stampede search --listen`); ends when none comes within --join-timeout."
    )
    var rejoin = false

    public init() {}

    public func run() async throws {
        try await failing("stampede worker", Self.self) { try await work() }
    }

    public func validate() throws {
        try CommandLineNumbers.check(threads, CommandLineNumbers.threads, option: "--threads")
        if let capacity { try CommandLineNumbers.check(capacity, atLeast: 1, option: "--capacity") }
        _ = try joinSeconds()
        // A client certificate without its key was dropped without a word.
        try TLSFileOptions.checkPair(certificate: tlsCert, key: tlsKey, options: ("--tls-cert", "--tls-key"))
        try TLSFileOptions.checkAuthorities(ca, option: "--ca")
    }

    private func joinSeconds() throws -> Double {
        try CommandLineNumbers.seconds(joinTimeout, option: "--join-timeout", example: "60s", zero: "to try once")
    }

    private func work() async throws {
        let token = try Token.read(file: tokenFile)
        let join = try joinSeconds()
        let tls: WorkerTLS? = (ca != nil || tlsCert != nil) ? WorkerTLS(ca: ca, certificate: tlsCert, key: tlsKey) : nil
        var runs = 0
        var deadline = ContinuousClock.now + .seconds(join)
        while true {
            do {
                try await play(token: token, join: join, tls: tls)
                runs += 1
                deadline = ContinuousClock.now + .seconds(join)
            } catch is WorkerAgentError where rejoin && runs > 0 {
                // Between runs: the last coordinator may still be saying goodbye (it answers, then refuses or
                // closes), the next one may not be there yet. Nothing within the join timeout: the series is over.
                if ContinuousClock.now < deadline {
                    try await Task.sleep(for: .milliseconds(500))
                    continue
                }
                print("worker: \(runs) run\(runs == 1 ? "" : "s") played; no next one within \(joinTimeout)")
                return
            } catch let error as WorkerAgentError {
                throw CommandFailure(.incomplete, "\(error)")
            }
            if !rejoin { return }
        }
    }

    /// Joins one run and plays its share.
    private func play(token: String, join: Double, tls: WorkerTLS?) async throws {
        let logger = Logger(label: "stampede.worker")
        let agent = WorkerAgent(
            configuration: WorkerAgentConfiguration(
                host: coordinator.host, port: coordinator.port, name: name ?? ProcessInfo.processInfo.hostName,
                token: token, tls: tls, eventLoopThreads: threads, joinTimeout: .seconds(double: join),
                capacity: capacity ?? ProcessInfo.processInfo.activeProcessorCount),
            logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: agent, successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        do {
            try await group.run()
        } catch let error as WorkerAgentError {
            throw error
        } catch {
            throw CommandFailure(.incomplete, "\(error)")
        }
        guard let outcome = agent.outcome else {
            throw CommandFailure(.internalError, "the worker ended without an outcome")
        }
        let offset =
            outcome.clockOffset.map {
                " (clock offset \(Double($0) / 1e6) ms over a \(Double(outcome.roundTrip ?? 0) / 1e6) ms round trip)"
            } ?? ""
        print(
            "worker \(outcome.id ?? "?"): \(outcome.reason)\(outcome.stoppedByCoordinator ? " (the coordinator's word)" : ""); "
                + "\(outcome.intervalsSent) intervals sent\(offset)")
        if outcome.reason.isLossOfControl {
            throw CommandFailure(.incomplete, "stopped without the coordinator: \(outcome.reason)")
        }
    }
}
