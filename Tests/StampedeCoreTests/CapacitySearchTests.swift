import Testing

@testable import StampedeCore

/// The search's decisions, fed with step results from a target whose knee is known.
struct CapacitySearchTests {
    /// Plays a search against a target that holds every rate up to `knee`; a generator that manages up to
    /// `generatorLimit`.
    static func play(
        _ settings: CapacitySearch.Settings, knee: Double, generatorLimit: Double = .infinity
    ) -> CapacitySearch {
        var search = CapacitySearch(settings)
        var played = 0
        while let rate = search.next, played < 100 {
            played += 1
            if rate > generatorLimit {
                search.record(.generatorBound("dropped"))
            } else {
                search.record(rate <= knee ? .held : .broke("p99(all) < 500ms"))
            }
        }
        return search
    }

    @Test(arguments: [75.0, 190, 333, 1_000, 2_047])
    func climbsThenNarrowsToTheResolution(knee: Double) {
        let search = Self.play(.init(from: 50, maxRate: 5_000, resolution: 10), knee: knee)
        #expect(search.phase == .done(.knee))
        let good = search.lastGood!
        let bad = search.firstBad!
        #expect(good <= knee && knee < bad && bad - good <= 10, "\(good)...\(bad) for \(knee)")
        #expect(search.firstBreak == "p99(all) < 500ms")
        // Doubling up to the first break, then halving the gap: no rate is tried twice, none above the max.
        let rates = search.steps.map(\.rate)
        #expect(Set(rates).count == rates.count)
        #expect(rates.allSatisfy { $0 <= 5_000 })
        #expect(Array(rates.prefix(2)) == [50, 100])
    }

    @Test func neverGoesAboveTheMaximum() {
        let search = Self.play(.init(from: 50, maxRate: 300, resolution: 10), knee: 10_000)
        #expect(search.steps.map(\.rate) == [50, 100, 200, 300])
        #expect(search.phase == .done(.heldAtMax))
    }

    @Test func aFirstStepThatBreaksEndsTheSearch() {
        let search = Self.play(.init(from: 50, maxRate: 300, resolution: 10), knee: 20)
        #expect(search.steps.map(\.rate) == [50])
        #expect(search.phase == .done(.brokeAtFrom))
    }

    /// A step the generator could not play is no verdict on the target: the search stops, keeping what held.
    @Test func aGeneratorBoundStepStopsTheSearch() {
        let search = Self.play(.init(from: 50, maxRate: 5_000, resolution: 10), knee: 1_000, generatorLimit: 300)
        #expect(search.steps.map(\.rate) == [50, 100, 200, 400])
        #expect(search.phase == .done(.generatorBound))
        #expect(search.lastGood == 200 && search.firstBad == nil)
    }

    @Test func settingsAreChecked() {
        #expect(CapacitySearch.Settings(from: 0, maxRate: 10, resolution: 1).problem != nil)
        #expect(CapacitySearch.Settings(from: 20, maxRate: 10, resolution: 1).problem != nil)
        #expect(CapacitySearch.Settings(from: 1, maxRate: 10, resolution: 0).problem != nil)
        #expect(CapacitySearch.Settings(from: 1, maxRate: 10, resolution: 1).problem == nil)
    }

    /// A search's thresholds judge its hold stage: run-wide scopes move there, explicit ones stay.
    @Test func thresholdsAreScopedToTheHold() throws {
        let p99 = Threshold(
            source: "x", check: "p99(all) < 500ms", metric: .latency(.percentile(99), uncorrected: false, .all, .run),
            comparison: .less, bound: 500)
        #expect(
            p99.scoped(to: .period("hold")).metric
                == .latency(.percentile(99), uncorrected: false, .all, .period("hold")))
        var burst = p99
        burst.metric = .errorRate(.all, .burst("b"))
        #expect(burst.scoped(to: .period("hold")).metric == .errorRate(.all, .burst("b")))
    }
}
