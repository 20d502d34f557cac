public import ArgumentParser
import Foundation
import StampedeCoordinator
import StampedeCore

/// `stampede-coordinator` (or `stampede coordinator`): hands out the plan to workers that connect, merges their
/// results, writes the run directory and the report.
public struct CoordinatorCommand: AsyncParsableCommand {
    public static var configuration: CommandConfiguration {
        CommandConfiguration(
            commandName: ProcessStart.commandName("coordinator"),
            abstract: "Coordinate a rehearsal across workers on other machines.",
            discussion: "The token comes from --token-file or STAMPEDE_TOKEN, never from the command line.\n\n"
                + ExitStatus.table, version: StampedeVersion.number)
    }

    @OptionGroup var plan: PlanOptions
    @Option(help: "How many workers to wait for before starting.") var workers = 1
    @Option(help: "Where workers connect: host:port, with a name, an IPv4 address or [an IPv6 one].") var listen =
        Endpoint(argument: "127.0.0.1:7070")!
    @Option(help: "File holding the shared token.") var tokenFile: String?
    @Option(help: "TLS certificate (PEM) for the workers' channel.") var tlsCert: String?
    @Option(help: "TLS private key (PEM).") var tlsKey: String?
    @Option(help: "CA (PEM) whose client certificates workers must present (mutual TLS).") var clientCA: String?
    @Option(help: "Serve Prometheus metrics on this port (/metrics).", transform: CommandLineNumbers.port)
    var metricsPort: Int?
    @Option(
        help: "Serve the live dashboard on this port (charts every second, a Stop button that needs the token).",
        transform: CommandLineNumbers.port)
    var dashboard: Int?
    @Option(help: "The dashboard's address (loopback unless told).") var dashboardHost = "127.0.0.1"
    @Option(help: "Workers stop on their own after this long without word from the coordinator.") var lease = "3s"
    @Option(
        help: "A worker silent this long is lost and its share handed to others (raise it for fleets of thousands).")
    var silenceBeforeLost = "2s"
    @Option(help: "Write the port workers connect to into this file once listening (with --listen HOST:0).")
    var portFile: String?

    public init() {}

    public func run() async throws {
        try await failing("stampede coordinator", Self.self) { try await work() }
    }

    public func validate() throws {
        try OutputFile.check(portFile, option: "--port-file")
        try TLSFileOptions.checkPair(certificate: tlsCert, key: tlsKey, options: ("--tls-cert", "--tls-key"))
        try TLSFileOptions.checkAuthorities(clientCA, option: "--client-ca")
        if clientCA != nil && tlsCert == nil { throw ValidationError("--client-ca needs --tls-cert and --tls-key") }
    }

    private func work() async throws {
        try CommandLineNumbers.check(workers, atLeast: 1, option: "--workers")
        let (record, plan) = try self.plan.run(workers: workers, sends: true)
        if let cut = PlanReport.capWarning(record: record, plan: plan, workers: workers) {
            printError("stampede coordinator: warning: \(cut)")
        }
        let token = try Token.read(file: tokenFile)
        var tls: CoordinatorTLS? = nil
        if let tlsCert, let tlsKey { tls = CoordinatorTLS(certificate: tlsCert, key: tlsKey, clientCA: clientCA) }
        let coordinator = Coordinator(
            configuration: CoordinatorConfiguration(
                host: listen.host, port: listen.port, token: token, tls: tls, metricsPort: metricsPort,
                dashboardPort: dashboard, dashboardHost: dashboardHost,
                environment: ProcessInfo.processInfo.environment, runsDirectory: self.plan.runs),
            record: record, plan: plan,
            settings: try self.plan.settings(workers: workers, lease: lease, silenceBeforeLost: silenceBeforeLost))
        let portFile = self.portFile
        _ = try await CoordinatorRunner.run(coordinator, quiet: self.plan.quiet) { port in
            if let portFile { try OutputFile.write("\(port)\n", to: portFile, option: "--port-file") }
        }
    }
}
