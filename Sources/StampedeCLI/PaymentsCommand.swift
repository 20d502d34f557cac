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
        _ = try channels()
    }

    private func latencySeconds() throws -> Double {
        try CommandLineNumbers.seconds(latency, option: "--latency", example: "20ms", zero: "to answer at once")
    }

    /// The channels asked for: two of one name are refused (a drill's ledgers would not tell them apart). Two on one
    /// port are refused with the ports, before any listens (the first was listening when the second failed).
    private func channels() throws -> [(name: String, port: Int, entry: String)] {
        var channels: [(name: String, port: Int, entry: String)] = []
        for entry in channel {
            let parts = entry.split(separator: "=", omittingEmptySubsequences: false)
            guard parts.count == 2, let port = Int(parts[1]), (0...65535).contains(port),
                !parts[0].isEmpty,
                parts[0].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) })
            else {
                throw ValidationError(
                    "--channel: expected NAME=PORT such as alipay=9001 (a name of letters, digits, - and _, a port "
                        + "from 0 to 65535), found \"\(entry)\"")
            }
            let name = String(parts[0])
            if let twin = channels.first(where: { $0.name == name }) {
                throw ValidationError("--channel \(entry): the name \(name) is also --channel \(twin.entry)'s")
            }
            channels.append((name, port, entry))
        }
        return channels
    }

    private func work() async throws {
        let latency = try latencySeconds()
        let channels = try channels()
        try ListeningPort.check(
            channels.map { (host: host, port: $0.port, option: "--channel \($0.entry)") })
        var simulators: [ChannelSimulator] = []
        for channel in channels {
            let simulator = try await ChannelSimulator.start(
                name: channel.name, host: host, port: channel.port, latency: .seconds(latency))
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
