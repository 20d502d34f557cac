public import StampedeCore

extension HTTPProtocolChoice {
    /// The ALPN names offered in the TLS handshake.
    var alpnOffer: [String] {
        switch self {
        case .h2: ["h2"]
        case .http1: ["http/1.1"]
        case .auto, .h2c: ["h2", "http/1.1"]
        }
    }

    /// Checks the choice against the URL's scheme before any connection is tried.
    func check(_ scheme: Origin.Scheme) throws(HTTPClientError) {
        if let mismatch = mismatch(scheme) { throw HTTPClientError(.unsupported, mismatch) }
    }
}

extension HTTPClientConfiguration {
    /// The engine's settings for a run's transport.
    public init(_ transport: TargetTransport, maxConnectionsPerOrigin: Int, eventLoopThreads: Int) {
        self.init(
            maxConnectionsPerOrigin: maxConnectionsPerOrigin, eventLoopThreads: eventLoopThreads,
            protocolChoice: transport.protocolChoice,
            tls: TLSOptions(caFile: transport.caFile, insecure: transport.insecure),
            streamsPerConnection: transport.streamsPerConnection)
    }
}
