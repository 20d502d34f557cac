import Testing

@testable import StampedeCore
@testable import StampedeReport

/// The comparison's Markdown: its headline counts what could not be judged, and runs that played different things
/// are said to be so before any figure.
struct ComparisonSummaryTests {
    static func row(_ change: RunComparison.Change) -> RunComparison.Row {
        RunComparison.Row(
            subject: "shop/browse", figure: "p99 ms", base: 1, new: 1, noise: 0.1, change: change, note: nil)
    }

    @Test func theHeadlineCountsWhatWasNotJudgedAndTheDifferencesComeFirst() {
        var comparison = RunComparison(
            base: "a", new: "b", settings: .init(), rows: [Self.row(.unchanged), Self.row(.unchanged)],
            differences: [])
        let alike = ComparisonSummary.render(comparison)
        #expect(alike.hasPrefix("## Stampede compare: no regression ✓\n\n`a` → `b`"), "\(alike)")
        comparison.rows[1] = Self.row(.unjudged)
        comparison.differences = ["peak rate 800/s → 1600/s", "the new run stopped before its end (Ctrl-C)"]
        let unlike = ComparisonSummary.render(comparison)
        #expect(
            unlike.hasPrefix(
                "## Stampede compare: no regression ✓, 1 of 2 figures not judged\n\n**The runs are not alike**, so "
                    + "their figures differ for these reasons too: peak rate 800/s → 1600/s; the new run stopped "
                    + "before its end (Ctrl-C).\n\n`a` → `b`"), "\(unlike)")
    }

    /// Every figure unjudged: the headline does not say "no regression", and the summary says why and what to do.
    @Test func aComparisonThatJudgedNothingSaysSo() {
        var thin = Self.row(.unjudged)
        thin.note = "not judged: requests in 4 seconds of a run, 10 needed to measure the noise"
        let arrivals = RunComparison.Row(
            subject: "run", figure: RunComparison.arrivalsFigure, base: 1, new: 1, noise: nil, change: .unchanged,
            note: nil)
        let comparison = RunComparison(
            base: "a", new: "b", settings: .init(), rows: [thin, thin, arrivals], differences: [])
        let text = ComparisonSummary.render(comparison)
        #expect(
            text.hasPrefix(
                "## Stampede compare: nothing judged ·, 2 of 3 figures not judged\n\n**Nothing about the target could "
                    + "be judged**, so no regression says nothing: shop/browse: requests in 4 seconds of a run, 10 "
                    + "needed to measure the noise. Compare runs with requests in at least 10 seconds of each step, or "
                    + "gate a step that short (a flash sale's crowd) with thresholds and verdicts\n\n`a` → `b`"),
            "\(text)")
        #expect(!text.contains("no regression ✓"))
    }
}
