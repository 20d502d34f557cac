public import StampedeCore

/// Which HTTP a target speaks.
public enum HTTPProtocolChoice: String, Sendable, CaseIterable, CustomStringConvertible {
    /// HTTP/1.1, over TLS for https:// targets.
    case http1
    /// HTTP/2 in cleartext with prior knowledge (http:// targets).
    case h2c
    /// HTTP/2 over TLS, ALPN `h2` required (https:// targets).
    case h2
    /// https://: ALPN decides between h2 and http/1.1; http://: HTTP/1.1.
    case auto

    public var description: String { rawValue }

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
        switch (self, scheme) {
        case (.h2c, .https):
            throw HTTPClientError(.unsupported, "h2c is HTTP/2 in cleartext; an https:// target wants h2 or auto")
        case (.h2, .http):
            throw HTTPClientError(.unsupported, "h2 is HTTP/2 over TLS; an http:// target wants h2c")
        default:
            return
        }
    }
}


extension HTTPClientConfiguration {
    /// The engine's settings for a run's transport; a protocol name that is not one of ours is a labelled error.
    public init(
        _ transport: TargetTransport, maxConnectionsPerOrigin: Int, eventLoopThreads: Int
    ) throws(HTTPClientError) {
        guard let choice = HTTPProtocolChoice(rawValue: transport.protocolName) else {
            throw HTTPClientError(
                .unsupported, "unknown protocol \"\(transport.protocolName)\" (expected http1, h2c, h2 or auto)")
        }
        self.init(
            maxConnectionsPerOrigin: maxConnectionsPerOrigin, eventLoopThreads: eventLoopThreads,
            protocolChoice: choice,
            tls: TLSOptions(caFile: transport.caFile, insecure: transport.insecure),
            streamsPerConnection: transport.streamsPerConnection)
    }
}
