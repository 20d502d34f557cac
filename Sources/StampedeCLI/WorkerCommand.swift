public import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import StampedeWorker
import UnixSignals

/// `stampede-worker` (or `stampede worker`): connects to a coordinator and runs the share it is given.
public struct WorkerCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "worker",
        abstract: "Send a share of a rehearsal's load, as a coordinator says.",
        discussion: "The token comes from --token-file or STAMPEDE_TOKEN, never from the command line. "
            + "With no word from the coordinator for its lease (3 s), the worker stops sending load on its own.")

    @Option(help: "The coordinator (host:port).") var coordinator = Endpoint(argument: "127.0.0.1:7070")!
    @Option(help: "This worker's name (default: the host name).") var name: String?
    @Option(help: "File holding the shared token.") var tokenFile: String?
    @Option(help: "CA (PEM) to trust for the coordinator's TLS certificate.") var ca: String?
    @Option(help: "Client certificate (PEM), when the coordinator requires one.") var tlsCert: String?
    @Option(help: "Client private key (PEM).") var tlsKey: String?
    @Option(help: "Event-loop threads for the HTTP engine.") var threads = 1

    public init() {}

    public func run() async throws {
        let token = try Token.read(file: tokenFile)
        let tls: WorkerTLS? = (ca != nil || tlsCert != nil) ? WorkerTLS(ca: ca, certificate: tlsCert, key: tlsKey) : nil
        let agent = WorkerAgent(
            configuration: WorkerAgentConfiguration(
                host: coordinator.host, port: coordinator.port, name: name ?? ProcessInfo.processInfo.hostName,
                token: token, tls: tls, eventLoopThreads: threads),
            logger: Logger(label: "stampede.worker"))
        let service = AgentService(agent: agent)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup,
                                 failureTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: [.sigint, .sigterm], logger: Logger(label: "stampede.worker")))
        do {
            try await group.run()
        } catch {
            print("stampede-worker: \(error)")
            throw ExitCode(1)
        }
    }
}

final class AgentService: Service, Sendable {
    let agent: WorkerAgent

    init(agent: WorkerAgent) { self.agent = agent }

    func run() async throws {
        let stop = StopSignal()
        let outcome = try await withGracefulShutdownHandler {
            try await agent.run(stop: stop)
        } onGracefulShutdown: {
            stop.stop(reason: "interrupted by a signal", drain: .milliseconds(500))
        }
        let offset = outcome.clockOffset.map { " (clock offset \(Double($0) / 1e6) ms over a \(Double(outcome.roundTrip ?? 0) / 1e6) ms round trip)" } ?? ""
        print("worker \(outcome.id ?? "?"): \(outcome.reason); \(outcome.intervalsSent) intervals sent\(offset)")
        if outcome.reason.hasPrefix("lease expired") || outcome.reason == "the coordinator is gone" {
            throw RunError("stopped without the coordinator: \(outcome.reason)")
        }
    }
}
