import NIOCore

/// The bookkeeping of one origin's connection pool as a value type: each event returns the actions to carry out,
/// and ``ConnectionPool`` carries them out. No I/O, no clock, no locks here, so every path is tested directly.
///
/// Rules: at most `maxConnections` connections exist (open or being opened); an idle connection is reused before
/// a new one is opened (most recently used first, so a few connections stay warm); waiters are served in arrival
/// order; every failed connection attempt fails exactly one waiter, and while more requests wait than
/// connections are being opened, another one is opened.
struct PoolStateMachine: Sendable {
    typealias ConnectionID = Int
    typealias WaiterID = Int

    enum LeaseAction: Equatable {
        /// Use this idle connection now.
        case use(ConnectionID)
        /// Wait; and open this connection for the queue.
        case waitAndConnect(ConnectionID)
        /// Wait for a connection to free up.
        case wait
        /// The pool is shut down.
        case refuse
    }

    enum Action: Equatable {
        case none
        /// Hand this connection to this waiter.
        case hand(ConnectionID, to: WaiterID)
        /// Open a new connection (a waiter is queued for it).
        case connect(ConnectionID)
        /// Close this connection.
        case close(ConnectionID)
        /// Close a connection and open another for the queue.
        case closeAndConnect(ConnectionID, ConnectionID)
    }

    let maxConnections: Int
    private(set) var idle: [ConnectionID] = []
    private(set) var leased: Set<ConnectionID> = []
    private(set) var connecting: Set<ConnectionID> = []
    private(set) var waiters = CircularBuffer<WaiterID>()
    private var nextConnection: ConnectionID = 0
    private(set) var isShutDown = false

    init(maxConnections: Int) {
        precondition(maxConnections > 0)
        self.maxConnections = maxConnections
    }

    var connectionCount: Int { idle.count + leased.count + connecting.count }

    mutating func lease(waiter: WaiterID) -> LeaseAction {
        guard !isShutDown else { return .refuse }
        if let connection = idle.popLast() {
            leased.insert(connection)
            return .use(connection)
        }
        waiters.append(waiter)
        if connectionCount < maxConnections { return .waitAndConnect(newConnection()) }
        return .wait
    }

    /// A connection attempt succeeded.
    mutating func connected(_ connection: ConnectionID) -> Action {
        connecting.remove(connection)
        if isShutDown { return .close(connection) }
        return offer(connection)
    }

    /// A connection attempt failed: the oldest waiter gets the error.
    mutating func connectFailed(_ connection: ConnectionID) -> (failed: WaiterID?, next: Action) {
        connecting.remove(connection)
        let failed = waiters.popFirst()
        return (failed, replenish())
    }

    /// A leased connection came back; `reusable` is false when it must not carry another request.
    mutating func release(_ connection: ConnectionID, reusable: Bool) -> Action {
        guard leased.remove(connection) != nil else { return .none }
        if !reusable || isShutDown {
            if case .connect(let replacement) = replenish() { return .closeAndConnect(connection, replacement) }
            return .close(connection)
        }
        return offer(connection)
    }

    /// An idle connection was closed by the other side.
    mutating func closed(_ connection: ConnectionID) -> Action {
        idle.removeAll { $0 == connection }
        if leased.remove(connection) != nil || connecting.remove(connection) != nil {
            return replenish()
        }
        return .none
    }

    /// A waiter gave up (deadline or cancellation). False when it was already served.
    mutating func cancel(waiter: WaiterID) -> Bool {
        guard let index = waiters.firstIndex(of: waiter) else { return false }
        waiters.remove(at: index)
        return true
    }

    /// Closes idle connections and refuses new leases; returns the waiters to fail and connections to close.
    mutating func shutDown() -> (waiters: [WaiterID], close: [ConnectionID]) {
        isShutDown = true
        let waiting = Array(waiters)
        waiters.removeAll()
        let closing = idle
        idle.removeAll()
        return (waiting, closing)
    }

    private mutating func offer(_ connection: ConnectionID) -> Action {
        if let waiter = waiters.popFirst() {
            leased.insert(connection)
            return .hand(connection, to: waiter)
        }
        idle.append(connection)
        return .none
    }

    /// Opens another connection while more requests wait than connections are being opened.
    private mutating func replenish() -> Action {
        guard !isShutDown, waiters.count > connecting.count, connectionCount < maxConnections else { return .none }
        return .connect(newConnection())
    }

    private mutating func newConnection() -> ConnectionID {
        let id = nextConnection
        nextConnection += 1
        connecting.insert(id)
        return id
    }
}
