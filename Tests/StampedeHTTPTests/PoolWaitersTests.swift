import Synchronization
import Testing

@testable import StampedeHTTP

struct PoolWaitersTests {
    /// Two pools' waiters in one tally: each waiter is counted once from when it is added until it is taken
    /// out, whichever pool it is in; a number added twice is one waiter, and taking out one that is not there
    /// changes nothing.
    @Test func theTallyIsTheWaitersOfEveryPoolThatSharesIt() {
        let tally = WaitingTally()
        var first = PoolWaiters<String>(tally: tally)
        var second = PoolWaiters<String>(tally: tally)
        var alone = PoolWaiters<String>(tally: nil)
        first.insert("a", as: 0)
        first.insert("b", as: 1)
        second.insert("c", as: 0)
        alone.insert("d", as: 0)
        #expect(tally.count.load(ordering: .relaxed) == 3)
        first.insert("b again", as: 1)
        #expect(first.count == 2 && tally.count.load(ordering: .relaxed) == 3)
        #expect(first.remove(1) == "b again")
        #expect(first.remove(1) == nil)
        #expect(second.remove(7) == nil)
        #expect(tally.count.load(ordering: .relaxed) == 2)
        #expect(first.contains(0) && !first.contains(1) && second.contains(0))
        #expect(first.remove(0) == "a" && second.remove(0) == "c")
        #expect(tally.count.load(ordering: .relaxed) == 0)
        #expect(alone.count == 1 && alone.remove(0) == "d")
    }
}
