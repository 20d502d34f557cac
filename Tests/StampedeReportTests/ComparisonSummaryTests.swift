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
}
