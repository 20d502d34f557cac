import Testing

@testable import StampedeCore

/// The console's note about arrivals a run never started.
struct DroppedArrivalsTests {
    static func second(_ index: Int, planned: Int, dropped: Int) -> TimelinePoint {
        var shoppers = ArrivalCounts()
        shoppers.planned = planned
        shoppers.started = planned - dropped
        shoppers.dropped = dropped
        let calm = LatencySummary(count: 100, p50: 0.2, p90: 0.3, p99: 0.4, p999: 0.5, max: 0.6, mean: 0.2)
        return TimelinePoint(
            second: index, clock: "00:00:0\(index)", expected: Double(planned), shoppers: shoppers,
            requests: RequestCounts(), inFlight: 0, waiting: 0, corrected: calm, uncorrected: calm)
    }

    static func total(_ timeline: [TimelinePoint]) -> ArrivalCounts {
        timeline.reduce(into: ArrivalCounts()) { $0.add($1.shoppers) }
    }

    @Test func aRunThatDroppedNothingHasNoNote() {
        let timeline = [Self.second(0, planned: 5_000, dropped: 0), Self.second(1, planned: 5_000, dropped: 0)]
        #expect(
            DroppedArrivals.summary(Self.total(timeline), timeline: timeline, maxShoppers: 10_000, connections: 256)
                == nil)
    }

    @Test func theShareTheSecondsAndTheCapAreNamed() throws {
        // The cap filled in the third second and stayed full.
        let timeline = [
            Self.second(0, planned: 5_000, dropped: 0), Self.second(1, planned: 5_000, dropped: 0),
            Self.second(2, planned: 5_000, dropped: 3_000), Self.second(3, planned: 5_000, dropped: 5_000),
        ]
        let text = try #require(
            DroppedArrivals.summary(
                Self.total(timeline), timeline: timeline, maxShoppers: 10_000, connections: 256, count: { "<\($0)>" }))
        #expect(text.hasPrefix("<8000> of <20000> planned arrivals (40.0%) were dropped, not sent, in 2 of 4 seconds"))
        #expect(text.contains("at most <10000> shoppers at once (--max-shoppers)"))
        #expect(text.contains("dropped == 0"))
        // Three of a hundred thousand still count, and are not rounded away.
        let few = [Self.second(0, planned: 100_000, dropped: 3)]
        let small = try #require(
            DroppedArrivals.summary(Self.total(few), timeline: few, maxShoppers: 10_000, connections: 256))
        #expect(small.hasPrefix("3 of 100000 planned arrivals (under 0.1%) were dropped"))
    }

    /// Against a target that holds its connections, the room went to arrivals waiting for one: the note points at
    /// the connections and the target's latency, not at --max-shoppers (more room would only hold more).
    @Test func roomTakenByArrivalsWaitingForAConnectionIsSaidSo() throws {
        var held = Self.second(1, planned: 2_000, dropped: 48)
        held.inFlight = 227
        held.waiting = 9_725
        var thinking = Self.second(2, planned: 2_000, dropped: 136)
        thinking.inFlight = 9_990
        thinking.waiting = 10
        let timeline = [Self.second(0, planned: 2_000, dropped: 0), held, thinking]
        let text = try #require(
            DroppedArrivals.summary(Self.total(timeline), timeline: timeline, maxShoppers: 10_000, connections: 256))
        #expect(text.contains("most of that room went to arrivals waiting for a connection (9725 at once at 00:00:01"))
        #expect(text.contains("against 227 shoppers going): every one of its 256 connections (--connections)"))
        #expect(!text.contains("Raise --max-shoppers"))
        // Shoppers that fill the room themselves (thinking, or waiting for the target) ask for more of it.
        let full = [Self.second(0, planned: 2_000, dropped: 0), thinking]
        let room = try #require(
            DroppedArrivals.summary(Self.total(full), timeline: full, maxShoppers: 10_000, connections: 256))
        #expect(room.contains("Raise --max-shoppers") && !room.contains("room went to arrivals waiting"))
    }
}
