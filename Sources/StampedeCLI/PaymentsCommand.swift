public import ArgumentParser
import Foundation
import Logging
import NIOPosix
import ServiceLifecycle
import StampedeConfig
import StampedePayments
import StampedeProcess
import UnixSignals

/// `stampede payments`: payment channel simulators on their own, for a drill against any checkout.
public struct PaymentsCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "payments",
        abstract: "Run payment channel simulators (alipay-like, wechat-like, unionpay-like) with faults on demand.",
        discussion: "Each channel serves POST /charge, GET /charges/{order}, GET /admin/ledger, POST /admin/faults, "
            + "POST /admin/reset. See docs/payments.md.")

    @Option(help: "A channel: NAME=PORT (repeatable).") var channel: [String] = [
        "alipay=9001", "wechat=9002", "unionpay=9003",
    ]
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Median latency of an answer.") var latency = "20ms"

    public init() {}

    public func run() async throws {
        try await failing("stampede payments", Self.self) { try await work() }
    }

    public func validate() throws {
        _ = try latencySeconds()
    }

    private func latencySeconds() throws -> Double {
        try CommandLineNumbers.seconds(latency, option: "--latency", example: "20ms", zero: "to answer at once")
    }

    private func work() async throws {
        let latency = try latencySeconds()
        var simulators: [ChannelSimulator] = []
        for entry in channel {
            let parts = entry.split(separator: "=")
            guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port) else {
                throw ValidationError("--channel: expected NAME=PORT such as alipay=9001, found \"\(entry)\"")
            }
            try ListeningPort.check(host: host, port: port, option: "--channel \(entry)")
            let simulator = try await ChannelSimulator.start(
                name: String(parts[0]), host: host, port: port, latency: .seconds(latency))
            print("payment channel \(simulator.name) on \(simulator.baseURL)")
            simulators.append(simulator)
        }
        let service = SimulatorsService(simulators: simulators)
        try await ServiceGroup(
            configuration: .init(
                services: [service], gracefulShutdownSignals: [.sigint, .sigterm],
                logger: Logger(label: "stampede.payments"))
        ).run()
    }
}

struct SimulatorsService: Service {
    let simulators: [ChannelSimulator]

    func run() async throws {
        try? await gracefulShutdown()
        for simulator in simulators { await simulator.stop() }
    }
}
