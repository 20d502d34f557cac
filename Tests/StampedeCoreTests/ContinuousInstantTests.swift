import StampedeCore
import Testing

/// The shopper path's instant: the continuous clock's, as nanoseconds.
struct ContinuousInstantTests {
    @Test func convertsToAndFromTheContinuousClockToTheNanosecond() {
        let clock = ContinuousClock.now + .seconds(3)
        let instant = ContinuousInstant(clock)
        #expect(instant.continuous == clock)
        #expect(ContinuousInstant(instant.continuous) == instant)
        // The same interval on both.
        let later = clock + .milliseconds(1_500)
        #expect(ContinuousInstant(later) - instant == .milliseconds(1_500))
        #expect(ContinuousInstant(later) == instant + .milliseconds(1_500))
    }

    /// `now` reads the system clock itself, not `ContinuousClock`: each read lies between the continuous clock's
    /// readings around it, and never goes back.
    @Test func nowMovesWithTheContinuousClock() {
        var last = ContinuousInstant.now
        for _ in 0..<10_000 {
            let before = ContinuousClock.now
            let instant = ContinuousInstant.now
            let after = ContinuousClock.now
            #expect(ContinuousInstant(before) <= instant)
            #expect(instant <= ContinuousInstant(after))
            #expect(last <= instant)
            last = instant
        }
    }

    /// The integer reading agrees with the `Duration` one it replaced: rounded half up, never negative, capped.
    @Test func microsecondsBetweenInstantsAreTheDurationsRounded() {
        let start = ContinuousInstant(nanoseconds: 5_000_000_123)
        let elapsed: [Int64] = [
            -2_000, -1, 0, 1, 499, 500, 501, 999, 1_000, 1_499, 1_500, 2_500, 123_456_789, 86_400_000_000_000,
            Int64.max / 2,
        ]
        for nanoseconds in elapsed {
            let end = ContinuousInstant(nanoseconds: start.nanoseconds + nanoseconds)
            #expect(end.microseconds(since: start) == (end - start).microseconds, "\(nanoseconds) ns")
        }
        #expect(ContinuousInstant(nanoseconds: 1_500).microseconds(since: ContinuousInstant(nanoseconds: 0)) == 2)
        #expect(ContinuousInstant(nanoseconds: 0).microseconds(since: ContinuousInstant(nanoseconds: 1_500)) == 0)
    }

    @Test func arithmeticAndOrder() {
        let base = ContinuousInstant(nanoseconds: 1_000)
        #expect(base + .microseconds(2) == ContinuousInstant(nanoseconds: 3_000))
        #expect(base - .microseconds(2) == ContinuousInstant(nanoseconds: -1_000))
        #expect(ContinuousInstant(nanoseconds: 250) - base == .nanoseconds(-750))
        #expect(base < base + .nanoseconds(1))
        #expect(!(base < base))
        #expect(
            [base + .seconds(2), base, base + .seconds(1)].sorted() == [base, base + .seconds(1), base + .seconds(2)])
    }
}
