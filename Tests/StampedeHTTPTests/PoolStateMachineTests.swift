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
}
