import NIOCore
import NIOHTTP1
import NIOPosix
import StampedeCore

/// Opens connections to one origin, ready to carry requests: TCP, then TLS when the scheme is https (the
/// handshake done and ALPN read), then the protocol's handler: HTTP/1.1 or an nghttp2 session.
final class ConnectionFactory: Sendable {
    let origin: Origin
    let choice: HTTPProtocolChoice
    let streamsPerConnection: Int
    private let group: any EventLoopGroup
    private let connectTimeout: TimeAmount
    private let tls: TLSContext?

    init(origin: Origin, group: any EventLoopGroup, configuration: HTTPClientConfiguration) throws(HTTPClientError) {
        try configuration.protocolChoice.check(origin.scheme)
        self.origin = origin
        self.choice = configuration.protocolChoice
        self.streamsPerConnection = configuration.streamsPerConnection
        self.group = group
        self.connectTimeout = TimeAmount(configuration.connectTimeout)
        self.tls =
            origin.scheme == .https
            ? try TLSContext(options: configuration.tls, alpn: configuration.protocolChoice.alpnOffer) : nil
    }

    /// TLS handshakes so far (nil for cleartext).
    var tlsHandshakes: (full: Int, resumed: Int)? { tls?.handshakeCounts }

    /// A connection on `eventLoop` (any of the group's when nil); `events` hears an HTTP/2 connection's
    /// capacity changes and GOAWAY. The protocol handler goes in as part of setting the channel up (cleartext) or
    /// the instant the TLS handshake ends, before any byte after it is read, so the server's first frames are
    /// never lost.
    func connect(
        on eventLoop: (any EventLoop)? = nil,
        events: @escaping @Sendable (HTTP2ConnectionEvent) -> Void
    ) -> EventLoopFuture<any PooledConnection> {
        let loop = eventLoop ?? group.next()
        let result = loop.makePromise(of: (any PooledConnection).self)
        // Cleartext: the handler goes in with the channel, but the connection is handed out once connected.
        let installed = PendingInstalls()
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    guard let tls else {
                        installed.byChannel[ObjectIdentifier(channel)] = install(on: channel, alpn: nil, events: events)
                        return
                    }
                    let handshake = channel.eventLoop.makePromise(of: String?.self)
                    try pipeline.addHandler(
                        TLSClientHandler(
                            context: tls, host: self.origin.host, port: self.origin.port, handshake: handshake))
                    handshake.futureResult.assumeIsolated().whenComplete { outcome in
                        switch outcome {
                        case .success(let alpn):
                            self.install(on: channel, alpn: alpn, events: events).cascade(to: result)
                        case .failure(let error): result.fail(error)
                        }
                    }
                }
            }
        let origin = self.origin
        bootstrap.connect(host: origin.host, port: origin.port).whenComplete { outcome in
            switch outcome {
            case .success(let channel):
                result.futureResult.whenFailure { _ in channel.close(promise: nil) }
                if let future = installed.byChannel.removeValue(forKey: ObjectIdentifier(channel)) {
                    future.cascade(to: result)
                }
                installed.byChannel.removeAll()
            case .failure(let error):
                result.fail(HTTPClientError.connect(to: origin, error))
            }
        }
        return result.futureResult.flatMapErrorThrowing { error in
            throw HTTPClientError.connect(to: origin, error)
        }
    }

    /// Puts the protocol handler on a connected (and, for TLS, handshaken) channel; an HTTP/2 connection is ready
    /// when the server's SETTINGS have arrived.
    private func install(
        on channel: any Channel, alpn: String?, events: @escaping @Sendable (HTTP2ConnectionEvent) -> Void
    ) -> EventLoopFuture<any PooledConnection> {
        do {
            return try installOrThrow(on: channel, alpn: alpn, events: events)
        } catch {
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    private func installOrThrow(
        on channel: any Channel, alpn: String?, events: @escaping @Sendable (HTTP2ConnectionEvent) -> Void
    ) throws -> EventLoopFuture<any PooledConnection> {
        let useHTTP2: Bool
        switch choice {
        case .h2c: useHTTP2 = true
        case .http1: useHTTP2 = false
        case .auto: useHTTP2 = alpn == "h2"
        case .h2:
            guard alpn == "h2" else {
                channel.close(promise: nil)
                throw HTTPClientError(
                    .protocolMismatch,
                    "\(origin) did not agree to HTTP/2 (ALPN chose \(alpn ?? "nothing")); use --protocol auto or http1")
            }
            useHTTP2 = true
        }
        let pipeline = channel.pipeline.syncOperations
        if useHTTP2 {
            let ready = channel.eventLoop.makePromise(of: Int.self)
            let handler = HTTP2ClientHandler(streamLimit: streamsPerConnection, ready: ready, events: events)
            try pipeline.addHandler(handler)
            let timeout = channel.eventLoop.scheduleTask(in: connectTimeout) {
                ready.fail(
                    HTTPClientError(
                        .timeout, "\(self.origin) sent no HTTP/2 SETTINGS within \(self.connectTimeout.seconds)"))
            }
            let origin = self.origin
            let bound = NIOLoopBound(handler, eventLoop: channel.eventLoop)
            return ready.futureResult
                .always { _ in timeout.cancel() }
                .flatMapError { error in
                    channel.close(promise: nil)
                    return channel.eventLoop.makeFailedFuture(error)
                }
                .map { capacity in
                    HTTP2Connection(channel: channel, origin: origin, handler: bound.value, capacity: capacity)
                }
        }
        let handler = HTTP1ClientHandler()
        try pipeline.addHandler(handler)
        return channel.eventLoop.makeSucceededFuture(
            HTTP1Connection(channel: channel, origin: origin, handler: handler))
    }
}

/// Protocol handlers installed on channels still connecting, by channel (happy eyeballs may try several).
/// Touched only on the connection's event loop.
private final class PendingInstalls: @unchecked Sendable {
    var byChannel: [ObjectIdentifier: EventLoopFuture<any PooledConnection>] = [:]
}
