import NIOCore

/// The bookkeeping of one origin's connection pool as a value type: each event returns the actions to carry out,
/// and ``ConnectionPool`` carries them out. No I/O, no clock, no locks here, so every path is tested directly.
///
/// A connection carries up to its `capacity` requests at once: 1 for HTTP/1.1, the smaller of our stream limit
/// and the server's SETTINGS_MAX_CONCURRENT_STREAMS for HTTP/2. Rules: at most `maxConnections` connections
/// exist (open or being opened); a connection with a free slot is used before a new one is opened (most
/// recently used first, so a few connections stay warm); waiters are served in arrival order; every failed
/// connection attempt fails exactly one waiter, and while more requests wait than connections are being
/// opened, another one is opened; a draining connection (GOAWAY) takes nothing new and closes when empty.
struct PoolStateMachine: Sendable {
    typealias ConnectionID = Int
    typealias WaiterID = Int

    enum LeaseAction: Equatable {
        /// Use this connection now.
        case use(ConnectionID)
        /// Wait; and open this connection for the queue.
        case waitAndConnect(ConnectionID)
        /// Wait for a connection to free up.
        case wait
        /// The pool is shut down.
        case refuse
    }

    enum Action: Equatable {
        /// Hand this connection to this waiter.
        case hand(ConnectionID, to: WaiterID)
        /// Open a new connection (a waiter is queued for it).
        case connect(ConnectionID)
        /// Close this connection.
        case close(ConnectionID)
    }

    private struct Slots {
        var inFlight = 0
        var capacity: Int
        var draining = false
        /// Whether it is in `available`: it is exactly when it has room, and this says so without a search.
        var listed = false
        var hasRoom: Bool { !draining && inFlight < capacity }
    }

    let maxConnections: Int
    private var open: [ConnectionID: Slots] = [:]
    /// Open connections with a free slot, the most recently used last. A lease takes the last and a release
    /// appends: neither searches it (with hundreds of connections, a search each was a scan of hundreds).
    private(set) var available: [ConnectionID] = []
    private(set) var connecting: Set<ConnectionID> = []
    private(set) var waiters = CircularBuffer<WaiterID>()
    private var nextConnection: ConnectionID = 0
    private(set) var isShutDown = false

    init(maxConnections: Int) {
        precondition(maxConnections > 0)
        self.maxConnections = maxConnections
    }

    var connectionCount: Int { open.count + connecting.count }

    /// Connections open with nothing in flight.
    var idle: [ConnectionID] { available.filter { open[$0]?.inFlight == 0 } }

    /// Requests in flight on a connection.
    func inFlight(_ connection: ConnectionID) -> Int { open[connection]?.inFlight ?? 0 }

    mutating func lease(waiter: WaiterID) -> LeaseAction {
        guard !isShutDown else { return .refuse }
        if let connection = leaseIdle() { return .use(connection) }
        waiters.append(waiter)
        if connectionCount < maxConnections { return .waitAndConnect(newConnection()) }
        return .wait
    }

    /// A free slot on an open connection, taken, if there is one (nil: the caller must wait, see
    /// ``lease(waiter:)``).
    mutating func leaseIdle() -> ConnectionID? {
        guard !isShutDown, let connection = available.last else { return nil }
        take(connection)
        return connection
    }

    /// A connection attempt succeeded; it carries `capacity` requests at once.
    mutating func connected(_ connection: ConnectionID, capacity: Int = 1) -> [Action] {
        connecting.remove(connection)
        if isShutDown { return [.close(connection)] }
        open[connection] = Slots(capacity: max(1, capacity))
        return offer(connection)
    }

    /// A connection attempt failed: the oldest waiter gets the error.
    mutating func connectFailed(_ connection: ConnectionID) -> (failed: WaiterID?, next: [Action]) {
        connecting.remove(connection)
        let failed = waiters.popFirst()
        return (failed, replenish())
    }

    /// A request on a connection finished; `reusable` is false when the connection must not carry another.
    mutating func release(_ connection: ConnectionID, reusable: Bool) -> [Action] {
        guard var slots = open[connection], slots.inFlight > 0 else { return [] }
        slots.inFlight -= 1
        if !reusable || isShutDown { slots.draining = true }
        open[connection] = slots
        if slots.draining {
            unlist(connection)
            let closing: [Action] = slots.inFlight == 0 || !reusable ? [.close(connection)] : []
            if !reusable { open[connection] = nil }
            return closing + replenish()
        }
        return offer(connection)
    }

    /// The server changed how many streams a connection may carry at once (HTTP/2 SETTINGS).
    mutating func capacityChanged(_ connection: ConnectionID, to capacity: Int) -> [Action] {
        guard open[connection] != nil else { return [] }
        open[connection]!.capacity = max(1, capacity)
        return offer(connection)
    }

    /// The server said it takes no new requests on this connection (HTTP/2 GOAWAY): the requests in flight
    /// finish, nothing new goes there, and the queue gets another connection.
    mutating func draining(_ connection: ConnectionID) -> [Action] {
        guard let slots = open[connection], !slots.draining else { return [] }
        open[connection]!.draining = true
        unlist(connection)
        let closing: [Action] = slots.inFlight == 0 ? [.close(connection)] : []
        return closing + replenish()
    }

    /// A connection was closed (by either side); whatever it carried has failed or finished.
    mutating func closed(_ connection: ConnectionID) -> [Action] {
        unlist(connection)
        if open.removeValue(forKey: connection) != nil || connecting.remove(connection) != nil {
            return replenish()
        }
        return []
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
        for connection in closing { open[connection] = nil }
        for connection in open.keys {
            open[connection]!.draining = true
            open[connection]!.listed = false
        }
        available.removeAll()
        return (waiting, closing)
    }

    /// Takes a slot of the last available connection; it stays available (last) while it has room.
    private mutating func take(_ connection: ConnectionID) {
        guard var slots = open[connection] else { return }
        slots.inFlight += 1
        if !slots.hasRoom {
            slots.listed = false
            available.removeLast()
        }
        open[connection] = slots
    }

    /// Gives a connection's free slots to the oldest waiters; what is left makes it available (the most recently
    /// used: last).
    private mutating func offer(_ connection: ConnectionID) -> [Action] {
        guard var slots = open[connection] else { return [] }
        var actions: [Action] = []
        while slots.hasRoom, let waiter = waiters.popFirst() {
            slots.inFlight += 1
            actions.append(.hand(connection, to: waiter))
        }
        if slots.listed { available.removeAll { $0 == connection } }
        slots.listed = slots.hasRoom
        if slots.listed { available.append(connection) }
        open[connection] = slots
        return actions
    }

    /// Takes a connection out of `available`, if it is there.
    private mutating func unlist(_ connection: ConnectionID) {
        guard open[connection]?.listed == true else { return }
        open[connection]!.listed = false
        available.removeAll { $0 == connection }
    }

    /// Opens another connection while more requests wait than connections are being opened.
    private mutating func replenish() -> [Action] {
        guard !isShutDown, waiters.count > connecting.count, connectionCount < maxConnections else { return [] }
        return [.connect(newConnection())]
    }

    private mutating func newConnection() -> ConnectionID {
        let id = nextConnection
        nextConnection += 1
        connecting.insert(id)
        return id
    }
}
