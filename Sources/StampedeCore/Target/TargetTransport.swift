/// How workers talk to the target: which HTTP, how TLS is trusted, and how connections are shared. Part of the
/// run record, so every worker connects the same way. A CA file is read on each worker's own machine.
public struct TargetTransport: Codable, Sendable, Equatable {
    public var protocolChoice: HTTPProtocolChoice
    public var caFile: String?
    /// Accept any certificate (self-signed staging).
    public var insecure: Bool
    /// The most HTTP/2 streams in flight on one connection.
    public var streamsPerConnection: Int
    /// Pooled connections (false), or one connection per shopper, handshake included (true).
    public var connectionPerShopper: Bool

    public init(
        protocolChoice: HTTPProtocolChoice = .auto, caFile: String? = nil, insecure: Bool = false,
        streamsPerConnection: Int = 100, connectionPerShopper: Bool = false
    ) {
        self.protocolChoice = protocolChoice
        self.caFile = caFile
        self.insecure = insecure
        self.streamsPerConnection = streamsPerConnection
        self.connectionPerShopper = connectionPerShopper
    }

    enum CodingKeys: String, CodingKey {
        case protocolChoice = "protocol"
        case caFile, insecure, streamsPerConnection, connectionPerShopper
    }

    /// Records written before transports had every field decode with the defaults.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        protocolChoice = try container.decodeIfPresent(HTTPProtocolChoice.self, forKey: .protocolChoice) ?? .auto
        caFile = try container.decodeIfPresent(String.self, forKey: .caFile)
        insecure = try container.decodeIfPresent(Bool.self, forKey: .insecure) ?? false
        streamsPerConnection = try container.decodeIfPresent(Int.self, forKey: .streamsPerConnection) ?? 100
        connectionPerShopper = try container.decodeIfPresent(Bool.self, forKey: .connectionPerShopper) ?? false
    }
}
