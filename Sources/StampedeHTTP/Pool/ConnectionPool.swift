import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The connections to one origin: at most `maxConnections`, reused with keep-alive, handed out in order of asking.
/// The bookkeeping is ``PoolStateMachine`` behind a mutex; this class only carries out its actions.
final class ConnectionPool: Sendable {
    typealias ConnectionID = PoolStateMachine.ConnectionID
    typealias WaiterID = PoolStateMachine.WaiterID

    let origin: Origin
    private let group: any EventLoopGroup
    private let connectTimeout: TimeAmount
    private let state: Mutex<Inner>

    private struct Waiter {
        var continuation: CheckedContinuation<(ConnectionID, any Channel), any Error>
        var timer: Scheduled<Void>?
    }

    private struct Inner {
        var machine: PoolStateMachine
        var channels: [ConnectionID: any Channel] = [:]
        var waiters: [WaiterID: Waiter] = [:]
        var nextWaiter: WaiterID = 0
    }

    init(origin: Origin, group: any EventLoopGroup, maxConnections: Int, connectTimeout: TimeAmount) {
        self.origin = origin
        self.group = group
        self.connectTimeout = connectTimeout
        self.state = Mutex(Inner(machine: PoolStateMachine(maxConnections: maxConnections)))
    }

    /// Sends a request on a pooled connection; the deadline covers the wait for a connection and the exchange.
    func execute(_ request: HTTPRequest, deadline: NIODeadline) async throws(HTTPClientError) -> HTTPResponse {
        let (id, channel) = try await lease(deadline: deadline)
        var head = HTTPRequestHead(version: .http1_1, method: request.method, uri: request.target)
        head.headers = request.headers
        if !head.headers.contains(name: "host") { head.headers.add(name: "host", value: origin.hostHeader) }
        if let body = request.body {
            head.headers.replaceOrAdd(name: "content-length", value: String(body.readableBytes))
        } else if request.method == .POST || request.method == .PUT || request.method == .PATCH {
            head.headers.replaceOrAdd(name: "content-length", value: "0")
        }
        let remaining = max(deadline - .now(), .nanoseconds(1))
        let promise = channel.eventLoop.makePromise(of: HTTP1Result.self)
        // If the write cannot happen (the connection closed meanwhile) the exchange never reaches the handler;
        // fail it here. A second completion of the promise is ignored.
        let written = channel.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenFailure { error in
            promise.fail(HTTPClientError(.reset, "the request could not be written: \(error)"))
        }
        channel.writeAndFlush(HTTP1Exchange(head: head, body: request.body, timeout: remaining, promise: promise),
                              promise: written)
        do {
            // Cancelling the task abandons the exchange: its connection closes, so nothing more is sent on it.
            let result = try await withTaskCancellationHandler {
                try await promise.futureResult.get()
            } onCancel: {
                promise.fail(HTTPClientError(.cancelled, "the request was cancelled"))
                channel.close(promise: nil)
            }
            release(id, reusable: result.keepAlive && channel.isActive)
            return result.response
        } catch {
            release(id, reusable: false)
            throw error as? HTTPClientError ?? HTTPClientError(.protocol, "\(error)")
        }
    }

    /// Closes idle connections and fails whoever still waits; leased connections close when they come back.
    func shutDown() {
        let (waiters, channels) = state.withLock { inner -> ([Waiter], [any Channel]) in
            let (waiting, closing) = inner.machine.shutDown()
            let waiters = waiting.compactMap { inner.waiters.removeValue(forKey: $0) }
            return (waiters, closing.compactMap { inner.channels[$0] })
        }
        for waiter in waiters {
            waiter.timer?.cancel()
            waiter.continuation.resume(throwing: HTTPClientError(.shutdown, "the client is shutting down"))
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Every channel still open, for a caller that waits for them to close.
    var openChannels: [any Channel] { state.withLock { Array($0.channels.values) } }

    private func lease(deadline: NIODeadline) async throws(HTTPClientError) -> (ConnectionID, any Channel) {
        let waiterID = state.withLock { inner in
            defer { inner.nextWaiter += 1 }
            return inner.nextWaiter
        }
        do {
            return try await withTaskCancellationHandler {
                try await withCheckedThrowingContinuation { continuation in
                    let (action, channel) = state.withLock { inner -> (PoolStateMachine.LeaseAction, (any Channel)?) in
                        let action = inner.machine.lease(waiter: waiterID)
                        switch action {
                        case .use(let id):
                            return (action, inner.channels[id])
                        case .wait, .waitAndConnect:
                            inner.waiters[waiterID] = Waiter(continuation: continuation, timer: nil)
                            return (action, nil)
                        case .refuse:
                            return (action, nil)
                        }
                    }
                    switch action {
                    case .use(let id):
                        continuation.resume(returning: (id, channel!))
                    case .refuse:
                        continuation.resume(throwing: HTTPClientError(.shutdown, "the client is shutting down"))
                    case .waitAndConnect(let id):
                        armTimer(waiterID, deadline: deadline)
                        connect(id)
                    case .wait:
                        armTimer(waiterID, deadline: deadline)
                    }
                }
            } onCancel: {
                giveUp(waiterID, HTTPClientError(.cancelled, "the request was cancelled while waiting for a connection"))
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw HTTPClientError(.protocol, "\(error)")
        }
    }

    private func armTimer(_ waiter: WaiterID, deadline: NIODeadline) {
        let timer = group.next().scheduleTask(deadline: deadline) { [self] in
            giveUp(waiter, HTTPClientError(.timeout, "no connection to \(origin) became free before the deadline"))
        }
        let served = state.withLock { inner -> Bool in
            guard inner.waiters[waiter] != nil else { return true }
            inner.waiters[waiter]!.timer = timer
            return false
        }
        if served { timer.cancel() }
    }

    private func giveUp(_ waiter: WaiterID, _ error: HTTPClientError) {
        let removed = state.withLock { inner -> Waiter? in
            guard inner.machine.cancel(waiter: waiter) else { return nil }
            return inner.waiters.removeValue(forKey: waiter)
        }
        guard let removed else { return }
        removed.timer?.cancel()
        removed.continuation.resume(throwing: error)
    }

    private func release(_ id: ConnectionID, reusable: Bool) {
        let action = state.withLock { $0.machine.release(id, reusable: reusable) }
        perform(action)
    }

    private func connect(_ id: ConnectionID) {
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(connectTimeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers(
                        leftOverBytesStrategy: .fireError)
                    try channel.pipeline.syncOperations.addHandler(HTTP1ClientHandler())
                }
            }
        bootstrap.connect(host: origin.host, port: origin.port).whenComplete { [self] result in
            switch result {
            case .success(let channel):
                let action = state.withLock { inner in
                    inner.channels[id] = channel
                    return inner.machine.connected(id)
                }
                channel.closeFuture.whenComplete { [self] _ in closed(id) }
                perform(action)
            case .failure(let error):
                let (failed, next) = state.withLock { inner in
                    let (failed, next) = inner.machine.connectFailed(id)
                    return (failed.flatMap { inner.waiters.removeValue(forKey: $0) }, next)
                }
                if let failed {
                    failed.timer?.cancel()
                    failed.continuation.resume(
                        throwing: HTTPClientError(.connect, "cannot connect to \(origin): \(error)"))
                }
                perform(next)
            }
        }
    }

    private func closed(_ id: ConnectionID) {
        let action = state.withLock { inner in
            inner.channels.removeValue(forKey: id)
            return inner.machine.closed(id)
        }
        perform(action)
    }

    private func perform(_ action: PoolStateMachine.Action) {
        switch action {
        case .none:
            return
        case .hand(let id, let waiterID):
            let (waiter, channel) = state.withLock { ($0.waiters.removeValue(forKey: waiterID), $0.channels[id]) }
            guard let waiter else {
                // The waiter was failed in the meantime; give the connection back.
                return release(id, reusable: channel?.isActive ?? false)
            }
            waiter.timer?.cancel()
            if let channel {
                waiter.continuation.resume(returning: (id, channel))
            } else {
                waiter.continuation.resume(throwing: HTTPClientError(.reset, "the connection closed at once"))
                release(id, reusable: false)
            }
        case .connect(let id):
            connect(id)
        case .close(let id):
            state.withLock { $0.channels[id] }?.close(promise: nil)
        case .closeAndConnect(let closing, let opening):
            state.withLock { $0.channels[closing] }?.close(promise: nil)
            connect(opening)
        }
    }
}
