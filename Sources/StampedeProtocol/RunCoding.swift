import Foundation
public import StampedeCore
import SwiftProtobuf

extension Stampede_V1_StopReason {
    public init(_ reason: StopReason) {
        self.init()
        code =
            switch reason.code {
            case .planOver: .planOver
            case .interrupted: .interrupted
            case .declaredLost: .declaredLost
            case .leaseExpired: .leaseExpired
            case .coordinatorGone: .coordinatorGone
            case .refused: .refused
            case .registrationDeadline: .registrationDeadline
            case .thresholdBroken: .thresholdBroken
            case .targetUnreached: .targetUnreached
            }
        detail = reason.detail
    }
}

extension StopReason {
    /// The reason a message carries; a code from a newer peer reads as a refusal with its detail.
    public init(_ message: Stampede_V1_StopReason) {
        let code: StopReason.Code =
            switch message.code {
            case .planOver: .planOver
            case .interrupted: .interrupted
            case .declaredLost: .declaredLost
            case .leaseExpired: .leaseExpired
            case .coordinatorGone: .coordinatorGone
            case .registrationDeadline: .registrationDeadline
            case .thresholdBroken: .thresholdBroken
            case .targetUnreached: .targetUnreached
            case .refused, .UNRECOGNIZED: .refused
            }
        self.init(code: code, detail: message.detail)
    }
}

extension Stampede_V1_Run {
    /// The run as it travels: typed fields, and the profile and scenario as the core's JSON documents.
    public init(_ record: RunRecord) {
        self.init()
        id = record.id
        startedAt = record.startedAt
        target = .with {
            $0.scheme = record.target.scheme == .https ? .https : .http
            $0.host = record.target.host
            $0.port = UInt32(record.target.port)
        }
        if let transport = record.transport {
            self.transport = .with {
                $0.protocol =
                    switch transport.protocolChoice {
                    case .auto: .auto
                    case .http1: .http1
                    case .h2c: .h2C
                    case .h2: .h2
                    }
                $0.caFile = transport.caFile ?? ""
                $0.insecure = transport.insecure
                $0.streamsPerConnection = UInt32(transport.streamsPerConnection)
                $0.connectionPerShopper = transport.connectionPerShopper
            }
        }
        seed = record.seed
        arrivals = record.arrivals == .uniform ? .uniform : .poisson
        scale = .with {
            $0.peakRate = record.scale.peakRate
            switch record.scale.compression {
            case .speed(let value): $0.speed = value
            case .duration(let seconds): $0.durationSeconds = seconds
            }
            if let window = record.scale.window {
                $0.window = .with {
                    $0.start = window.start
                    $0.end = window.end
                }
            }
        }
        workers = UInt32(record.workers)
        maxShoppers = UInt32(record.maxShoppers)
        connections = UInt32(record.connections)
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        profileJson = (try? encoder.encode(record.profile)) ?? Data()
        scenarioJson = (try? encoder.encode(record.scenario)) ?? Data()
    }
}

extension RunRecord {
    /// The run a message carries, checked.
    public init(_ message: Stampede_V1_Run) throws(ProtocolError) {
        guard message.hasTarget, let port = Int(exactly: message.target.port), (1...65535).contains(port),
            !message.target.host.isEmpty
        else { throw ProtocolError("the run has no target") }
        let target = Origin(
            scheme: message.target.scheme == .https ? .https : .http, host: message.target.host, port: port)
        guard message.hasScale, message.scale.peakRate > 0 else { throw ProtocolError("the run has no scale") }
        let compression: RunScale.Compression
        switch message.scale.compression {
        case .speed(let value)?: compression = .speed(value)
        case .durationSeconds(let seconds)?: compression = .duration(seconds)
        case nil: throw ProtocolError("the run's scale has no speed and no duration")
        }
        let window =
            message.scale.hasWindow
            ? ProfileWindow(start: message.scale.window.start, end: message.scale.window.end) : nil
        var transport: TargetTransport? = nil
        if message.hasTransport {
            let protocolChoice: HTTPProtocolChoice
            switch message.transport.protocol {
            case .auto: protocolChoice = .auto
            case .http1: protocolChoice = .http1
            case .h2C: protocolChoice = .h2c
            case .h2: protocolChoice = .h2
            case .UNRECOGNIZED(let value): throw ProtocolError("unknown protocol \(value)")
            }
            transport = TargetTransport(
                protocolChoice: protocolChoice,
                caFile: message.transport.caFile.isEmpty ? nil : message.transport.caFile,
                insecure: message.transport.insecure, streamsPerConnection: Int(message.transport.streamsPerConnection),
                connectionPerShopper: message.transport.connectionPerShopper)
        }
        let decoder = JSONDecoder()
        let profile: Profile
        let scenario: Scenario
        do {
            profile = try decoder.decode(Profile.self, from: message.profileJson)
            scenario = try decoder.decode(Scenario.self, from: message.scenarioJson)
        } catch {
            throw ProtocolError("the run's profile or scenario cannot be read: \(error)")
        }
        self.init(
            id: message.id, startedAt: message.startedAt, profile: profile, scenario: scenario,
            scale: RunScale(peakRate: message.scale.peakRate, compression: compression, window: window), target: target,
            seed: message.seed, arrivals: message.arrivals == .uniform ? .uniform : .poisson,
            workers: Int(message.workers), maxShoppers: Int(message.maxShoppers), connections: Int(message.connections),
            transport: transport)
    }
}
