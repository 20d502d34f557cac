import COpenSSL
import NIOCore

/// TLS through OpenSSL on two memory BIOs: ciphertext from the socket is written into the read BIO, plaintext
/// comes out of `SSL_read`; plaintext going down is `SSL_write`n and the write BIO is drained to the socket.
/// The handshake's outcome (the ALPN protocol the server chose, or a labelled error) completes `handshake`.
/// Closing sends close_notify first.
final class TLSClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private enum State {
        case handshaking
        case open
        case closed
    }

    let handshake: EventLoopPromise<String?>
    private let context: TLSContext
    private let host: String
    private let port: Int
    private var ssl: OpaquePointer?
    private var readBIO: OpaquePointer?
    private var writeBIO: OpaquePointer?
    private var state = State.handshaking
    /// Writes that arrive before the handshake is done go out after it.
    private var pendingWrites: [(ByteBuffer, EventLoopPromise<Void>?)] = []

    init(context: TLSContext, host: String, port: Int, handshake: EventLoopPromise<String?>) {
        self.context = context
        self.host = host
        self.port = port
        self.handshake = handshake
    }

    func handlerAdded(context: ChannelHandlerContext) {
        do {
            let ssl = try self.context.makeConnection(host: host)
            readBIO = BIO_new(BIO_s_mem())
            writeBIO = BIO_new(BIO_s_mem())
            SSL_set_bio(ssl, readBIO, writeBIO)
            self.ssl = ssl
        } catch {
            fail(error, context: context)
            return
        }
        if context.channel.isActive { advanceHandshake(context: context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        if let ssl { SSL_free(ssl) }  // frees both BIOs
        ssl = nil
        handshake.fail(HTTPClientError(.tls, "the connection closed during the TLS handshake"))
    }

    func channelActive(context: ChannelHandlerContext) {
        advanceHandshake(context: context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if case .handshaking = state {
            handshake.fail(HTTPClientError(.tls, "the server closed the connection during the TLS handshake"))
        }
        state = .closed
        for (_, promise) in pendingWrites { promise?.fail(ChannelError.ioOnClosedChannel) }
        pendingWrites.removeAll()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let readBIO else { return }
        let buffer = unwrapInboundIn(data)
        buffer.withUnsafeReadableBytes { bytes in
            _ = BIO_write(readBIO, bytes.baseAddress, Int32(bytes.count))
        }
        switch state {
        case .handshaking:
            advanceHandshake(context: context)
            if case .open = state { readPlaintext(context: context) }
        case .open:
            readPlaintext(context: context)
        case .closed:
            return
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let buffer = unwrapOutboundIn(data)
        switch state {
        case .handshaking:
            pendingWrites.append((buffer, promise))
        case .open:
            encrypt(buffer, promise: promise, context: context)
        case .closed:
            promise?.fail(ChannelError.ioOnClosedChannel)
        }
    }

    func flush(context: ChannelHandlerContext) {
        if case .open = state { drainWriteBIO(context: context, flush: true) }
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if case .open = state, mode == .all, let ssl {
            SSL_shutdown(ssl)  // queues close_notify
            drainWriteBIO(context: context, flush: true)
        }
        state = .closed
        context.close(mode: mode, promise: promise)
    }

    // MARK: Handshake

    private func advanceHandshake(context: ChannelHandlerContext) {
        guard case .handshaking = state, let ssl else { return }
        let result = SSL_do_handshake(ssl)
        drainWriteBIO(context: context, flush: true)
        if result == 1 {
            state = .open
            self.context.handshakeCompleted(resumed: SSL_session_reused(ssl) == 1)
            handshake.succeed(negotiatedProtocol())
            let writes = pendingWrites
            pendingWrites.removeAll()
            for (buffer, promise) in writes { encrypt(buffer, promise: promise, context: context) }
            if !writes.isEmpty { drainWriteBIO(context: context, flush: true) }
            return
        }
        let error = SSL_get_error(ssl, result)
        if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { return }
        fail(handshakeError(ssl), context: context)
    }

    private func handshakeError(_ ssl: OpaquePointer) -> HTTPClientError {
        let verify = SSL_get_verify_result(ssl)
        if verify != X509_V_OK {
            _ = TLSContext.drainErrors()
            let reason = String(cString: X509_verify_cert_error_string(verify))
            return HTTPClientError(
                .certificate,
                "the certificate of \(host):\(port) is not trusted: \(reason) (trust its CA with --ca FILE, or use --insecure for a staging certificate)"
            )
        }
        return HTTPClientError(.tls, "the TLS handshake with \(host):\(port) failed: \(TLSContext.drainErrors())")
    }

    private func negotiatedProtocol() -> String? {
        guard let ssl else { return nil }
        var name: UnsafePointer<UInt8>?
        var length: UInt32 = 0
        SSL_get0_alpn_selected(ssl, &name, &length)
        guard let name, length > 0 else { return nil }
        return String(decoding: UnsafeBufferPointer(start: name, count: Int(length)), as: UTF8.self)
    }

    // MARK: Data

    private func readPlaintext(context: ChannelHandlerContext) {
        guard let ssl else { return }
        var plaintext = context.channel.allocator.buffer(capacity: 16 * 1024)
        var sawCloseNotify = false
        while true {
            var result: Int32 = 0
            plaintext.writeWithUnsafeMutableBytes(minimumWritableBytes: 4096) { space in
                result = SSL_read(ssl, space.baseAddress, Int32(clamping: space.count))
                return Int(max(0, result))
            }
            if result > 0 { continue }
            let error = SSL_get_error(ssl, result)
            if error == SSL_ERROR_WANT_READ || error == SSL_ERROR_WANT_WRITE { break }
            if error == SSL_ERROR_ZERO_RETURN {
                sawCloseNotify = true
                break
            }
            if plaintext.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(plaintext)) }
            fail(HTTPClientError(.tls, "TLS failed on \(host):\(port): \(TLSContext.drainErrors())"), context: context)
            return
        }
        // Reading may have produced records to send (key updates, alerts).
        drainWriteBIO(context: context, flush: true)
        if plaintext.readableBytes > 0 { context.fireChannelRead(wrapInboundOut(plaintext)) }
        if sawCloseNotify { context.close(promise: nil) }
    }

    private func encrypt(_ buffer: ByteBuffer, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        guard let ssl else { return }
        let written = buffer.withUnsafeReadableBytes { bytes -> Int32 in
            guard bytes.count > 0 else { return 0 }
            return SSL_write(ssl, bytes.baseAddress, Int32(bytes.count))
        }
        if written < 0 {
            let error = HTTPClientError(.tls, "TLS write failed: \(TLSContext.drainErrors())")
            promise?.fail(error)
            fail(error, context: context)
            return
        }
        drainWriteBIO(context: context, flush: false, promise: promise)
    }

    /// Moves the ciphertext OpenSSL produced to the socket.
    private func drainWriteBIO(context: ChannelHandlerContext, flush: Bool, promise: EventLoopPromise<Void>? = nil) {
        guard let writeBIO else {
            promise?.succeed()
            return
        }
        let pending = Int(stampede_BIO_pending(writeBIO))
        if pending > 0 {
            var out = context.channel.allocator.buffer(capacity: pending)
            out.writeWithUnsafeMutableBytes(minimumWritableBytes: pending) { space in
                Int(max(0, BIO_read(writeBIO, space.baseAddress, Int32(pending))))
            }
            context.write(wrapOutboundOut(out), promise: promise)
        } else {
            promise?.succeed()
        }
        if flush { context.flush() }
    }

    private func fail(_ error: HTTPClientError, context: ChannelHandlerContext) {
        if case .handshaking = state { handshake.fail(error) }
        state = .closed
        context.fireErrorCaught(error)
        context.close(promise: nil)
    }
}
