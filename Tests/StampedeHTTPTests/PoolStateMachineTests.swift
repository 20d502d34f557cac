import StampedeCore
import Testing

@testable import StampedeHTTP

struct PoolStateMachineTests {
    @Test func opensUpToTheCapThenQueues() {
        var pool = PoolStateMachine(maxConnections: 2)
        #expect(pool.lease(waiter: 1) == .waitAndConnect(0))
        #expect(pool.lease(waiter: 2) == .waitAndConnect(1))
        #expect(pool.lease(waiter: 3) == .wait)
        #expect(pool.connectionCount == 2)
        #expect(pool.connected(0) == [.hand(0, to: 1)])
        #expect(pool.connected(1) == [.hand(1, to: 2)])
        // Waiter 3 gets the first connection back.
        #expect(pool.release(0, reusable: true) == [.hand(0, to: 3)])
        #expect(pool.release(1, reusable: true) == [])
        #expect(pool.idle == [1])
        #expect(pool.lease(waiter: 4) == .use(1))
    }

    /// The fast path takes a free slot without registering a waiter, and takes nothing when none is free.
    @Test func aFreeSlotIsTakenWithoutAWaiter() {
        var pool = PoolStateMachine(maxConnections: 1)
        #expect(pool.leaseIdle() == nil)
        #expect(pool.lease(waiter: 1) == .waitAndConnect(0))
        #expect(pool.connected(0) == [.hand(0, to: 1)])
        #expect(pool.leaseIdle() == nil)
        #expect(pool.release(0, reusable: true) == [])
        #expect(pool.leaseIdle() == 0)
        #expect(pool.leaseIdle() == nil)
        // Nobody waits: the release hands the connection to no one.
        #expect(pool.release(0, reusable: true) == [])
        #expect(pool.idle == [0])
    }

    @Test func theMostRecentlyUsedIdleConnectionIsReusedFirst() {
        var pool = PoolStateMachine(maxConnections: 3)
        for waiter in 0..<3 { _ = pool.lease(waiter: waiter) }
        for connection in 0..<3 { _ = pool.connected(connection) }
        _ = pool.release(2, reusable: true)
        _ = pool.release(0, reusable: true)
        #expect(pool.lease(waiter: 9) == .use(0))
    }

    @Test func aFailedConnectFailsOneWaiterAndRetriesForTheRest() {
        var pool = PoolStateMachine(maxConnections: 1)
        #expect(pool.lease(waiter: 1) == .waitAndConnect(0))
        #expect(pool.lease(waiter: 2) == .wait)
        let (failed, next) = pool.connectFailed(0)
        #expect(failed == 1)
        #expect(next == [.connect(1)])
        #expect(pool.connected(1) == [.hand(1, to: 2)])
    }

    @Test func aConnectionThatCannotBeReusedIsReplacedForTheQueue() {
        var pool = PoolStateMachine(maxConnections: 1)
        _ = pool.lease(waiter: 1)
        _ = pool.connected(0)
        #expect(pool.lease(waiter: 2) == .wait)
        #expect(pool.release(0, reusable: false) == [.close(0), .connect(1)])
        #expect(pool.release(0, reusable: false) == [])
        #expect(pool.connectionCount == 1)
    }

    @Test func aCancelledWaiterLeavesTheQueue() {
        var pool = PoolStateMachine(maxConnections: 1)
        _ = pool.lease(waiter: 1)
        _ = pool.lease(waiter: 2)
        let first = pool.cancel(waiter: 1)
        let second = pool.cancel(waiter: 1)
        #expect(first && !second)
        #expect(pool.connected(0) == [.hand(0, to: 2)])
    }

    @Test func anIdleConnectionClosedByTheServerIsForgotten() {
        var pool = PoolStateMachine(maxConnections: 1)
        _ = pool.lease(waiter: 1)
        _ = pool.connected(0)
        _ = pool.release(0, reusable: true)
        #expect(pool.closed(0) == [])
        #expect(pool.connectionCount == 0)
        #expect(pool.lease(waiter: 2) == .waitAndConnect(1))
    }

    @Test func shutDownFailsWaitersAndClosesIdleConnections() {
        var pool = PoolStateMachine(maxConnections: 2)
        _ = pool.lease(waiter: 1)
        _ = pool.connected(0)
        _ = pool.release(0, reusable: true)
        _ = pool.lease(waiter: 2)
        _ = pool.lease(waiter: 3)
        let (waiters, closing) = pool.shutDown()
        #expect(waiters == [3])
        #expect(closing == [])
        #expect(pool.lease(waiter: 4) == .refuse)
        #expect(pool.release(0, reusable: true) == [.close(0)])
        #expect(pool.connected(1) == [.close(1)])
    }

    // HTTP/2: one connection carries several requests at once.

    @Test func aMultiplexedConnectionServesTheQueueUpToItsCapacity() {
        var pool = PoolStateMachine(maxConnections: 2)
        #expect(pool.lease(waiter: 1) == .waitAndConnect(0))
        #expect(pool.lease(waiter: 2) == .waitAndConnect(1))
        #expect(pool.lease(waiter: 3) == .wait)
        // The first connection up takes all three waiters; the second opens with nothing to do.
        #expect(pool.connected(0, capacity: 3) == [.hand(0, to: 1), .hand(0, to: 2), .hand(0, to: 3)])
        #expect(pool.inFlight(0) == 3)
        #expect(pool.connected(1, capacity: 3) == [])
        #expect(pool.lease(waiter: 4) == .use(1))
        #expect(pool.lease(waiter: 5) == .use(1))
        #expect(pool.lease(waiter: 6) == .use(1))
        #expect(pool.lease(waiter: 7) == .wait)
        #expect(pool.release(1, reusable: true) == [.hand(1, to: 7)])
        #expect(pool.inFlight(1) == 3)
    }

    @Test func theServersStreamLimitShrinksAndGrowsTheSlots() {
        var pool = PoolStateMachine(maxConnections: 1)
        _ = pool.lease(waiter: 1)
        _ = pool.connected(0, capacity: 100)
        #expect(pool.capacityChanged(0, to: 2) == [])
        #expect(pool.lease(waiter: 2) == .use(0))
        #expect(pool.lease(waiter: 3) == .wait)
        #expect(pool.lease(waiter: 4) == .wait)
        #expect(pool.capacityChanged(0, to: 4) == [.hand(0, to: 3), .hand(0, to: 4)])
    }

    @Test func aDrainingConnectionTakesNothingNewAndClosesWhenEmpty() {
        var pool = PoolStateMachine(maxConnections: 2)
        _ = pool.lease(waiter: 1)
        _ = pool.connected(0, capacity: 10)
        _ = pool.lease(waiter: 2)
        #expect(pool.inFlight(0) == 2)
        // GOAWAY: nobody waits, so nothing new opens yet.
        #expect(pool.draining(0) == [])
        #expect(pool.lease(waiter: 3) == .waitAndConnect(1))
        #expect(pool.release(0, reusable: true) == [])
        #expect(pool.release(0, reusable: true) == [.close(0)])
        #expect(pool.closed(0) == [])
        #expect(pool.connected(1, capacity: 10) == [.hand(1, to: 3)])
    }

    @Test func aBrokenMultiplexedConnectionIsReplacedOnce() {
        var pool = PoolStateMachine(maxConnections: 1)
        _ = pool.lease(waiter: 1)
        _ = pool.connected(0, capacity: 10)
        _ = pool.lease(waiter: 2)
        _ = pool.lease(waiter: 3)
        #expect(pool.inFlight(0) == 3)
        #expect(pool.lease(waiter: 4) == .use(0))
        _ = pool.capacityChanged(0, to: 4)
        #expect(pool.lease(waiter: 5) == .wait)
        // The first failure closes it and opens a replacement for the queue; the others change nothing.
        #expect(pool.release(0, reusable: false) == [.close(0), .connect(1)])
        #expect(pool.release(0, reusable: false) == [])
        #expect(pool.closed(0) == [])
        #expect(pool.connectionCount == 1)
    }

    /// The list of connections with a free slot is kept without searching it (a lease takes the last, a release
    /// appends). Whatever happens, in any order (leases, releases, reusable or not, connections opening, closing,
    /// draining, changing their stream limit), it holds exactly the open connections that are not draining and
    /// have a free slot, each once, and a lease without waiting takes the one released last.
    @Test func theFreeConnectionsAreExactlyThoseWithRoomWhateverHappens() {
        for seed in 1...20 as ClosedRange<UInt64> {
            var random = SeededRandom(seed: seed)
            var pool = PoolStateMachine(maxConnections: 6)
            // What the test knows of each connection: its limit, and whether it drains.
            var capacity: [Int: Int] = [:]
            var draining: Set<Int> = []
            var connecting: Set<Int> = []
            var waiter = 0
            func forget(_ connection: Int) {
                capacity[connection] = nil
                draining.remove(connection)
            }
            func carry(_ actions: [PoolStateMachine.Action]) {
                for case .close(let connection) in actions { forget(connection) }
                for case .connect(let connection) in actions { connecting.insert(connection) }
            }
            for _ in 0..<400 {
                let open = capacity.keys.sorted()
                let busy = open.filter { pool.inFlight($0) > 0 }
                switch random.next() % 8 {
                case 0, 1:
                    waiter += 1
                    switch pool.lease(waiter: waiter) {
                    case .waitAndConnect(let connection): connecting.insert(connection)
                    default: break
                    }
                case 2:
                    guard let connection = connecting.min() else { continue }
                    connecting.remove(connection)
                    capacity[connection] = Int(random.next() % 3) + 1
                    carry(pool.connected(connection, capacity: capacity[connection]!))
                case 3, 4:
                    guard !busy.isEmpty else { continue }
                    let connection = busy[Int(random.next() % UInt64(busy.count))]
                    let reusable = random.next() % 6 != 0
                    if !reusable { forget(connection) }
                    let actions = pool.release(connection, reusable: reusable)
                    carry(actions)
                    if reusable, !draining.contains(connection), let limit = capacity[connection],
                        pool.inFlight(connection) < limit, actions.isEmpty
                    {
                        // It has room and nobody waited: it is the first a lease takes.
                        #expect(pool.leaseIdle() == connection, "seed \(seed)")
                        #expect(pool.release(connection, reusable: true) == [])
                    }
                case 5:
                    guard !open.isEmpty else { continue }
                    let connection = open[Int(random.next() % UInt64(open.count))]
                    draining.insert(connection)
                    carry(pool.draining(connection))
                case 6:
                    guard !open.isEmpty else { continue }
                    let connection = open[Int(random.next() % UInt64(open.count))]
                    forget(connection)
                    carry(pool.closed(connection))
                default:
                    guard !open.isEmpty else { continue }
                    let connection = open[Int(random.next() % UInt64(open.count))]
                    capacity[connection] = Int(random.next() % 3) + 1
                    carry(pool.capacityChanged(connection, to: capacity[connection]!))
                }
                let withRoom = capacity.filter { connection, limit in
                    !draining.contains(connection) && pool.inFlight(connection) < limit
                }
                #expect(Set(pool.available) == Set(withRoom.keys), "seed \(seed)")
                #expect(pool.available.count == Set(pool.available).count, "seed \(seed)")
            }
        }
    }
}
