import StampedeCore
import Testing

@testable import StampedeWorker

struct HeldArrivalsTests {
    static func held(_ index: UInt64) -> HeldArrivals.Held {
        HeldArrivals.Held(
            arrival: Arrival(index: index, time: Double(index) / 1000), slot: Int(index % 7), lagMicros: index)
    }

    @Test func firstInFirstOut() {
        var queue = HeldArrivals()
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
        for k in 0..<3 { queue.append(Self.held(UInt64(k))) }
        #expect(queue.count == 3)
        #expect(queue.popFirst() == Self.held(0))
        queue.append(Self.held(3))
        #expect([queue.popFirst(), queue.popFirst(), queue.popFirst()] == [Self.held(1), Self.held(2), Self.held(3)])
        #expect(queue.isEmpty && queue.count == 0)
    }

    @Test func orderSurvivesCompactingALongQueue() {
        var queue = HeldArrivals()
        var next: UInt64 = 0
        var expected: UInt64 = 0
        // Ten appended for every nine taken, past the point where the taken ones are dropped from the storage.
        for _ in 0..<2_000 {
            for _ in 0..<10 {
                queue.append(Self.held(next))
                next += 1
            }
            for _ in 0..<9 {
                #expect(queue.popFirst() == Self.held(expected))
                expected += 1
            }
        }
        #expect(queue.count == 2_000)
        let rest = queue.removeAll()
        #expect(rest.map(\.arrival.index) == Array(expected..<next))
        #expect(queue.isEmpty)
        #expect(queue.popFirst() == nil)
    }
}
