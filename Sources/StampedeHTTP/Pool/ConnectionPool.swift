import NIOCore
import NIOHTTP1
import NIOPosix
import StampedeCore
import Synchronization

/// The connections to one origin: at most `maxConnections`, each carrying as many requests at once as its
/// protocol allows (one for HTTP/1.1, its streams for HTTP/2), handed out in order of asking. The bookkeeping is
/// ``PoolStateMachine`` behind a mutex; this class only carries out its actions.
final class ConnectionPool: Sendable {
    typealias ConnectionID = PoolStateMachine.ConnectionID
    typealias WaiterID = PoolStateMachine.WaiterID

    /// How often a request the server refused unprocessed (GOAWAY, REFUSED_STREAM) is sent again.
    static let refusedRetries = 10

    let origin: Origin
    private let group: any EventLoopGroup
    private let factory: ConnectionFactory
    private let state: Mutex<Inner>

    private struct Waiter {
        var continuation: UnsafeContinuation<(ConnectionID, any PooledConnection), any Error>
    }

    private struct Inner {
        var machine: PoolStateMachine
        var connections: [ConnectionID: any PooledConnection] = [:]
        var waiters: PoolWaiters<Waiter>
        /// When each waiter gives up, swept by one timer, due at `sweepAt` (nil: none armed).
        var deadlines = WaiterDeadlines()
        var sweepAt: NIODeadline?
        var nextWaiter: WaiterID = 0
    }

    /// `tally`: where the pool's waiting requests are counted with those of the client's other pools.
    init(factory: ConnectionFactory, group: any EventLoopGroup, maxConnections: Int, tally: WaitingTally? = nil) {
        self.origin = factory.origin
        self.factory = factory
        self.group = group
        self.state = Mutex(
            Inner(machine: PoolStateMachine(maxConnections: maxConnections), waiters: PoolWaiters(tally: tally)))
    }

    /// Sends a request on a pooled connection, at most `timeout` from now (the wait for a connection included).
    func execute(_ request: HTTPRequest, timeout: Duration) async throws(HTTPClientError) -> HTTPResponse {
        do {
            return try await execute(request, deadline: NIODeadline.now() + TimeAmount(timeout))
        } catch {
            throw error.saidWithTimeout(timeout)
        }
    }

    /// Sends a request on a pooled connection; the deadline covers the wait for a connection and the exchange.
    /// A request the server refused without processing it is sent again on another connection.
    func execute(_ request: HTTPRequest, deadline: NIODeadline) async throws(HTTPClientError) -> HTTPResponse {
        var attempt = 0
        while true {
            do {
                return try await executeOnce(request, deadline: deadline)
            } catch  where error.code == .refused && attempt < Self.refusedRetries && NIODeadline.now() < deadline {
                attempt += 1
            }
        }
    }

    private func executeOnce(
        _ request: HTTPRequest, deadline: NIODeadline
    ) async throws(HTTPClientError) -> HTTPResponse {
        // A free connection is taken at once, with no call to an async function (its frame is allocated per call).
        let id: ConnectionID
        let connection: any PooledConnection
        switch leaseIdle() {
        case .idle(let idle, let free): (id, connection) = (idle, free)
        case .wait(let waiter): (id, connection) = try await lease(waiter, deadline: deadline)
        }
        let remaining = max(deadline - .now(), .nanoseconds(1))
        // Whichever comes first resumes the task: the exchange's outcome, or its cancellation (an HTTP/2 stream
        // abandoned still completes later; the task does not wait for it).
        let outcome = ExchangeOutcome()
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { continuation in
                guard outcome.wait(continuation) else { return }
                connection.send(request, timeout: remaining) { outcome.resume($0) }
            }
        } onCancel: {
            outcome.resume(.failure(HTTPClientError(.cancelled, "the request was cancelled")))
            connection.abandon()
        }
        switch result {
        case .success(let exchanged):
            release(id, reusable: exchanged.reusable && connection.channel.isActive)
            return exchanged.response
        case .failure(let failure):
            release(id, reusable: connection.reusable(after: failure))
            throw failure
        }
    }

    /// Closes idle connections and fails whoever still waits; busy connections close when they come back.
    func shutDown() {
        let (waiters, channels) = state.withLock { inner -> ([Waiter], [any Channel]) in
            let (waiting, closing) = inner.machine.shutDown()
            let waiters = waiting.compactMap { inner.waiters.remove($0) }
            return (waiters, closing.compactMap { inner.connections[$0]?.channel })
        }
        for waiter in waiters {
            waiter.continuation.resume(throwing: HTTPClientError(.shutdown, "the client is shutting down"))
        }
        for channel in channels { channel.close(promise: nil) }
    }

    /// Requests waiting for a connection to come free (or to open).
    var waiting: Int { state.withLock { $0.waiters.count } }

    /// Every channel still open, for a caller that waits for them to close.
    var openChannels: [any Channel] { state.withLock { $0.connections.values.map(\.channel) } }

    private enum IdleLease {
        case idle(ConnectionID, any PooledConnection)
        /// None is free: the number the request waits under.
        case wait(WaiterID)
    }

    private func leaseIdle() -> IdleLease {
        state.withLock { inner in
            // An available slot is on a connection already registered (both happen under this lock).
            if let id = inner.machine.leaseIdle() { return .idle(id, inner.connections[id]!) }
            defer { inner.nextWaiter += 1 }
            return .wait(inner.nextWaiter)
        }
    }

    /// Waits for a connection (or opens one) when none was free.
    private func lease(
        _ waiterID: WaiterID, deadline: NIODeadline
    ) async throws(HTTPClientError) -> (ConnectionID, any PooledConnection) {
        do {
            return try await withTaskCancellationHandler {
                try await withUnsafeThrowingContinuation { continuation in
                    let (action, connection, arm) = state.withLock {
                        inner -> (PoolStateMachine.LeaseAction, (any PooledConnection)?, NIODeadline?) in
                        let action = inner.machine.lease(waiter: waiterID)
                        switch action {
                        case .use(let id):
                            return (action, inner.connections[id], nil)
                        case .wait, .waitAndConnect:
                            inner.waiters.insert(Waiter(continuation: continuation), as: waiterID)
                            inner.deadlines.append(waiterID, deadline)
                            // A sweep is armed for the earliest deadline; a new earlier one arms its own.
                            guard inner.sweepAt.map({ deadline < $0 }) ?? true else { return (action, nil, nil) }
                            inner.sweepAt = deadline
                            return (action, nil, deadline)
                        case .refuse:
                            return (action, nil, nil)
                        }
                    }
                    if let arm { scheduleSweep(at: arm) }
                    switch action {
                    case .use(let id):
                        continuation.resume(returning: (id, connection!))
                    case .refuse:
                        continuation.resume(throwing: HTTPClientError(.shutdown, "the client is shutting down"))
                    case .waitAndConnect(let id):
                        connect(id)
                    case .wait:
                        break
                    }
                }
            } onCancel: {
                giveUp(
                    waiterID, HTTPClientError(.cancelled, "the request was cancelled while waiting for a connection"))
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw HTTPClientError(.protocol, "\(error)")
        }
    }

    private func scheduleSweep(at deadline: NIODeadline) {
        group.next().scheduleTask(deadline: deadline) { [self] in sweep(armedFor: deadline) }
    }

    /// Fails the waiters whose deadline passed, and arms the sweep again for the next one. A sweep superseded by
    /// an earlier one (armed since for a shorter deadline) does nothing.
    private func sweep(armedFor armed: NIODeadline) {
        let (expired, next) = state.withLock { inner -> ([WaiterID], NIODeadline?) in
            guard inner.sweepAt == armed else { return ([], nil) }
            let waiters = inner.waiters
            let (expired, next) = inner.deadlines.expire(at: .now()) { waiters.contains($0) }
            inner.sweepAt = next
            return (expired, next)
        }
        for waiter in expired {
            giveUp(waiter, HTTPClientError(.timeout, "no connection to \(origin) became free before the deadline"))
        }
        if let next { scheduleSweep(at: next) }
    }

    private func giveUp(_ waiter: WaiterID, _ error: HTTPClientError) {
        let removed = state.withLock { inner -> Waiter? in
            guard inner.machine.cancel(waiter: waiter) else { return nil }
            return inner.waiters.remove(waiter)
        }
        guard let removed else { return }
        removed.continuation.resume(throwing: error)
    }

    private func release(_ id: ConnectionID, reusable: Bool) {
        let actions = state.withLock { $0.machine.release(id, reusable: reusable) }
        perform(actions)
    }

    private func connect(_ id: ConnectionID) {
        factory.connect { [weak self] event in self?.connectionEvent(event, on: id) }.whenComplete { [self] result in
            switch result {
            case .success(let connection):
                let actions = state.withLock { inner in
                    inner.connections[id] = connection
                    return inner.machine.connected(id, capacity: connection.initialCapacity)
                }
                connection.channel.closeFuture.whenComplete { [self] _ in closed(id) }
                perform(actions)
            case .failure(let error):
                let (failed, next) = state.withLock { inner in
                    let (failed, next) = inner.machine.connectFailed(id)
                    return (failed.flatMap { inner.waiters.remove($0) }, next)
                }
                if let failed {
                    failed.continuation.resume(
                        throwing: HTTPClientError.connect(to: origin, error))
                }
                perform(next)
            }
        }
    }

    private func connectionEvent(_ event: HTTP2ConnectionEvent, on id: ConnectionID) {
        let actions = state.withLock { inner in
            switch event {
            case .capacity(let capacity): inner.machine.capacityChanged(id, to: capacity)
            case .draining: inner.machine.draining(id)
            }
        }
        perform(actions)
    }

    private func closed(_ id: ConnectionID) {
        let actions = state.withLock { inner in
            inner.connections.removeValue(forKey: id)
            return inner.machine.closed(id)
        }
        perform(actions)
    }

    private func perform(_ actions: [PoolStateMachine.Action]) {
        for action in actions {
            switch action {
            case .hand(let id, let waiterID):
                let (waiter, connection) = state.withLock {
                    ($0.waiters.remove(waiterID), $0.connections[id])
                }
                guard let waiter else {
                    // The waiter was failed in the meantime; give the slot back.
                    release(id, reusable: connection?.channel.isActive ?? false)
                    continue
                }
                if let connection {
                    waiter.continuation.resume(returning: (id, connection))
                } else {
                    waiter.continuation.resume(throwing: HTTPClientError(.reset, "the connection closed at once"))
                    release(id, reusable: false)
                }
            case .connect(let id):
                connect(id)
            case .close(let id):
                state.withLock { $0.connections[id] }?.channel.close(promise: nil)
            }
        }
    }
}
