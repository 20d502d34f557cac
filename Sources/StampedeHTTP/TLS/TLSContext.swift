import COpenSSL
import Synchronization

/// How a client trusts a TLS server.
public struct TLSOptions: Sendable, Equatable {
    /// A PEM file of certificate authorities to trust, besides the system store.
    public var caFile: String?
    /// Accept any certificate (a self-signed staging certificate). Off by default; say it out loud.
    public var insecure: Bool
    /// The name to send in SNI and to verify, when it differs from the URL's host.
    public var serverName: String?

    public init(caFile: String? = nil, insecure: Bool = false, serverName: String? = nil) {
        self.caFile = caFile
        self.insecure = insecure
        self.serverName = serverName
    }
}

/// An OpenSSL client context for one origin: trust, ALPN offer, and the session to resume, so that a new
/// connection per shopper costs an abbreviated handshake rather than a full one.
final class TLSContext: @unchecked Sendable {
    // SSL_CTX is thread-safe for creating SSL objects; the cached session is behind a mutex.
    let context: OpaquePointer
    let options: TLSOptions
    let alpn: [String]
    /// The last session the server gave us (an SSL_SESSION's address; 0 for none). An address, not a pointer,
    /// so that it can sit behind a mutex shared by event loops.
    private let session = Mutex<Int>(0)
    private let handshakes = Mutex<(full: Int, resumed: Int)>((0, 0))

    /// Handshakes completed on this origin: full ones, and abbreviated ones that resumed a session.
    var handshakeCounts: (full: Int, resumed: Int) { handshakes.withLock { $0 } }

    func handshakeCompleted(resumed: Bool) {
        handshakes.withLock { counts in
            if resumed { counts.resumed += 1 } else { counts.full += 1 }
        }
    }

    init(options: TLSOptions, alpn: [String]) throws(HTTPClientError) {
        guard let context = SSL_CTX_new(TLS_client_method()) else {
            throw HTTPClientError(.tls, "cannot create a TLS context: \(TLSContext.drainErrors())")
        }
        self.context = context
        self.options = options
        self.alpn = alpn
        stampede_SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION)
        stampede_SSL_CTX_set_mode(context, Int(SSL_MODE_RELEASE_BUFFERS))
        if !options.insecure {
            SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
            SSL_CTX_set_default_verify_paths(context)
            if let caFile = options.caFile, SSL_CTX_load_verify_locations(context, caFile, nil) != 1 {
                // Every property is set: throwing now runs deinit, which frees the context (freeing it here too
                // was a double free: `--ca garbage.pem` against an https target aborted with signal 6).
                throw HTTPClientError(.certificate, "cannot read the CA file \(caFile): \(TLSContext.drainErrors())")
            }
        } else {
            SSL_CTX_set_verify(context, SSL_VERIFY_NONE, nil)
        }
        if !alpn.isEmpty {
            var wire: [UInt8] = []
            for name in alpn {
                wire.append(UInt8(name.utf8.count))
                wire.append(contentsOf: name.utf8)
            }
            SSL_CTX_set_alpn_protos(context, wire, UInt32(wire.count))
        }
        stampede_SSL_CTX_set_session_cache_mode(context, Int(SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE))
        stampede_SSL_CTX_set_app_data(context, Unmanaged.passUnretained(self).toOpaque())
        SSL_CTX_sess_set_new_cb(context, onNewSession)
    }

    deinit {
        if let cached = OpaquePointer(bitPattern: session.withLock { $0 }) { SSL_SESSION_free(cached) }
        SSL_CTX_free(context)
    }

    /// A new connection's SSL object: SNI and host verification set, the last session offered for resumption.
    func makeConnection(host: String) throws(HTTPClientError) -> OpaquePointer {
        guard let ssl = SSL_new(context) else {
            throw HTTPClientError(.tls, "cannot create a TLS connection: \(TLSContext.drainErrors())")
        }
        let name = options.serverName ?? host
        let isAddress = TLSContext.isIPAddress(name)
        if !isAddress { stampede_SSL_set_tlsext_host_name(ssl, name) }
        if !options.insecure {
            if isAddress {
                X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name)
            } else {
                SSL_set1_host(ssl, name)
            }
        }
        session.withLock { cached in
            if let cached = OpaquePointer(bitPattern: cached) { SSL_set_session(ssl, cached) }
        }
        SSL_set_connect_state(ssl)
        return ssl
    }

    fileprivate func store(_ newSession: OpaquePointer) {
        let old = session.withLock { cached in
            defer { cached = Int(bitPattern: newSession) }
            return cached
        }
        if let old = OpaquePointer(bitPattern: old) { SSL_SESSION_free(old) }
    }

    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":")
            || (host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil })
    }

    /// OpenSSL's error queue as one line (and emptied, so the next failure starts clean).
    static func drainErrors() -> String {
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no detail from OpenSSL" : messages.joined(separator: "; ")
    }
}

/// OpenSSL hands every new client session here; returning 1 keeps the reference for the context's cache.
private let onNewSession: @convention(c) (OpaquePointer?, OpaquePointer?) -> Int32 = { ssl, session in
    guard let ssl, let session, let context = SSL_get_SSL_CTX(ssl),
        let owner = stampede_SSL_CTX_get_app_data(context)
    else { return 0 }
    Unmanaged<TLSContext>.fromOpaque(owner).takeUnretainedValue().store(session)
    return 1
}
