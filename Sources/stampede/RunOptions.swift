import ArgumentParser
import Foundation
import StampedeConfig
import StampedeCoordinator
import StampedeCore
import StampedeHTTP
import StampedeWorker

/// Turns `stampede run`'s arguments into a rehearsal, with errors that say which option is wrong.
struct RunOptions {
    let command: RunCommand

    func resolve() throws -> LocalRehearsal {
        let profile: Profile
        let scenario: Scenario
        do {
            profile = try ProfileLoader.load(path: command.profile)
            scenario = try ScenarioLoader.load(path: command.scenario)
        } catch {
            throw ValidationError("\n" + error.description)
        }
        guard let peakRate = Units.ratePerSecond(command.peakRate) else {
            throw ValidationError("--peak-rate: expected a rate such as 800/s, found \"\(command.peakRate)\"")
        }
        let compression: RunScale.Compression
        switch (command.speed, command.duration) {
        case (let speed?, nil):
            guard let value = Units.speed(speed) else { throw ValidationError("--speed: expected such as 1440x, found \"\(speed)\"") }
            compression = .speed(value)
        case (nil, let duration?):
            guard let value = Units.seconds(duration), value > 0 else {
                throw ValidationError("--duration: expected such as 90s, found \"\(duration)\"")
            }
            compression = .duration(value)
        case (nil, nil):
            guard profile.length <= 600 else {
                throw ValidationError("say how fast to play \(profile.name) (\(Int(profile.length / 3600)) h long): "
                                      + "--duration 90s or --speed 1440x")
            }
            compression = .speed(1)
        case (_?, _?):
            throw ValidationError("give --speed or --duration, not both")
        }
        var profileWindow: ProfileWindow? = nil
        if let window = command.window {
            guard let parsed = ProfileWindow.parse(window) else {
                throw ValidationError("--window: expected a range such as 09:00-11:00, found \"\(window)\"")
            }
            profileWindow = parsed
        }
        let scale = RunScale(peakRate: peakRate, compression: compression, window: profileWindow)
        guard let targetURL = command.target ?? scenario.target else {
            throw ValidationError("no target: give --target http://host:port or a target in the scenario")
        }
        guard let origin = Origin(url: targetURL) else {
            throw ValidationError("--target: expected a URL such as http://127.0.0.1:8080, found \"\(targetURL)\"")
        }
        guard origin.isLoopback || command.allowRemote else {
            throw ValidationError("\(origin.host) is not on loopback; load goes elsewhere only with --allow-remote")
        }
        guard let timeout = Units.seconds(command.timeout), timeout > 0 else {
            throw ValidationError("--timeout: expected such as 10s, found \"\(command.timeout)\"")
        }
        guard command.maxShoppers > 0, command.connections > 0, command.threads > 0 else {
            throw ValidationError("--max-shoppers, --connections and --threads must be above 0")
        }
        let plan = try Plan(profile: profile, scale: scale)
        let started = Date()
        let record = RunRecord(
            id: command.id ?? Self.runID(started, profile: profile.name), startedAt: Self.iso8601(started),
            profile: profile, scenario: scenario, scale: scale, target: origin.description, seed: command.seed,
            arrivals: command.arrivals, workers: 1, maxShoppers: command.maxShoppers, connections: command.connections)
        _ = plan
        let settings = WorkerSettings(
            name: "local", seed: command.seed, arrivals: command.arrivals, maxShoppers: command.maxShoppers,
            requestTimeout: .seconds(double: timeout))
        return LocalRehearsal(
            record: record, settings: settings, runsDirectory: command.runs,
            client: HTTPClientConfiguration(maxConnectionsPerOrigin: command.connections, eventLoopThreads: command.threads))
    }

    static func runID(_ date: Date, profile: String) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        return "\(formatter.string(from: date))-\(profile)"
    }

    static func iso8601(_ date: Date) -> String {
        ISO8601DateFormatter().string(from: date)
    }
}
