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

    @Test func nowMovesWithTheContinuousClock() {
        let before = ContinuousClock.now
        let instant = ContinuousInstant.now
        let after = ContinuousClock.now
        #expect(ContinuousInstant(before) <= instant)
        #expect(instant <= ContinuousInstant(after))
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
