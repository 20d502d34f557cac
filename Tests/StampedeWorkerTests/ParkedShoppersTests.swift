import StampedeCore
import Testing

@testable import StampedeWorker

struct ParkedShoppersTests {
    static let start = ContinuousInstant.now

    static func thinking(_ index: UInt64, untilMillis millis: Int) -> ShopperProgress {
        ShopperProgress(
            arrival: Arrival(index: index, time: 0), slot: 0, loop: 0, flow: 0,
            state: Shopper.State(variables: [:], random: SeededRandom(seed: 1, stream: index)),
            intended: start + .milliseconds(millis))
    }

    @Test func shoppersComeBackWhenTheirThinkIsOverEarliestFirst() {
        let parked = ParkedShoppers()
        for (index, millis) in [(1, 300), (2, 100), (3, 200), (4, 100)] {
            #expect(parked.park(Self.thinking(UInt64(index), untilMillis: millis)) == nil)
        }
        #expect(parked.takeDue(by: Self.start + .milliseconds(50)).isEmpty)
        let due = parked.takeDue(by: Self.start + .milliseconds(200))
        #expect(due.map(\.arrival.index).sorted() == [2, 3, 4])
        #expect(due.map(\.intended) == due.map(\.intended).sorted())
        #expect(parked.count == 1)
        // The scheduler sleeps until the earlier of its own deadline and the first parked shopper.
        #expect(parked.sleep(until: Self.start + .seconds(5)) == Self.start + .milliseconds(300))
        #expect(parked.sleep(until: Self.start + .milliseconds(250)) == Self.start + .milliseconds(250))
    }

    @Test func aShopperParkedBeforeTheSchedulersWakeWakesIt() async {
        let parked = ParkedShoppers()
        _ = parked.sleep(until: Self.start + .seconds(10))
        // Later than the scheduler's wake: no signal.
        _ = parked.park(Self.thinking(1, untilMillis: 20_000))
        // Earlier: the scheduler is woken (the signal's post is kept for its next wait).
        _ = parked.park(Self.thinking(2, untilMillis: 5_000))
        let woken = await withTaskGroup(of: Bool.self) { group in
            group.addTask {
                await parked.signal.wait()
                return true
            }
            group.addTask {
                try? await Task.sleep(for: .seconds(5))
                return false
            }
            defer { group.cancelAll() }
            return await group.next() ?? false
        }
        #expect(woken)
        #expect(parked.sleep(until: nil) == Self.start + .milliseconds(5_000))
    }

    @Test func closingHandsBackEveryoneAndRefusesMore() {
        let parked = ParkedShoppers()
        _ = parked.park(Self.thinking(1, untilMillis: 1_000))
        _ = parked.park(Self.thinking(2, untilMillis: 2_000))
        #expect(parked.close().map(\.arrival.index).sorted() == [1, 2])
        #expect(parked.park(Self.thinking(3, untilMillis: 500))?.arrival.index == 3)
        #expect(parked.count == 0)
    }
}
