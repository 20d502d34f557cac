public import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals
import StampedeConfig
import StampedeCoordinator
import StampedeCore
import StampedeHTTP
import StampedeWorker

struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run", abstract: "Play a profile against a target with the shoppers of a scenario.")

    @Option(help: "The profile (traffic shape), e.g. profiles/double11.yaml.") var profile: String
    @Option(help: "The scenario (shopper flows), e.g. scenarios/reference-shop.yaml.") var scenario: String
    @Option(help: "Base URL of the target; defaults to the scenario's target.") var target: String?
    @Option(help: "Arrivals per second at the busiest instant, spikes included (800/s).") var peakRate = "100/s"
    @Option(help: "Time compression: profile seconds per real second (1440x).") var speed: String?
    @Option(help: "Real duration of the whole window (90s); instead of --speed.") var duration: String?
    @Option(help: "Part of the profile day to play (09:00-11:00).") var window: String?
    @Option(help: "Seed of the arrival process and the shoppers' choices.") var seed: UInt64 = 1
    @Option(help: "Arrival process: poisson or uniform.") var arrivals: ArrivalProcess = .poisson
    @Option(help: "Most shoppers going at once; arrivals beyond are dropped and counted.") var maxShoppers = 10_000
    @Option(help: "Most connections to the target.") var connections = 256
    @Option(help: "Request timeout (10s).") var timeout = "10s"
    @Option(help: "Event-loop threads for the HTTP engine.") var threads = 1
    @Option(help: "Directory for run directories.") var runs = "runs"
    @Option(help: "Name of this run's directory (default: time and profile).") var id: String?
    @Flag(help: "Allow a target that is not on loopback (127.0.0.0/8, ::1).") var allowRemote = false
    @Flag(help: "No live progress line.") var quiet = false

    func run() async throws {
        let options = try RunOptions(command: self).resolve()
        let logger = Logger(label: "stampede")
        let quiet = self.quiet
        let service = RehearsalService(
            rehearsal: options, logger: logger,
            progress: { line in if !quiet { print(line) } },
            finish: { outcome in
                print("")
                print(outcome.consoleReport, terminator: "")
                if let directory = outcome.directory { print("\nRun directory: \(directory.path)") }
            })
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: service, successTerminationBehavior: .gracefullyShutdownGroup)],
                                 gracefulShutdownSignals: [.sigint, .sigterm], logger: logger))
        try await group.run()
    }
}

extension ArrivalProcess: ExpressibleByArgument {}
