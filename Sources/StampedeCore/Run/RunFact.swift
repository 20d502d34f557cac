/// What the coordinator learns during a run besides the workers' intervals: the start, each reading of the
/// target's books, what became of each worker, the drill's ledgers, the end. Appended to `facts.jsonl` as each
/// is learned, and folded into the ``RunAggregator`` the same way live and when a report is rebuilt, so a rebuilt
/// report has the same verdicts as the original.
public enum RunFact: Codable, Sendable, Equatable {
    /// The shared start instant, on the coordinator machine's monotonic clock (nanoseconds).
    case started(startNanos: Int64)
    /// A reading of the target's books.
    case books(BooksPhase, InventoryBooks)
    /// A reading of the books that failed, and why.
    case booksProblem(BooksPhase, String)
    case workerFinished(String)
    case workerLost(GapSummary)
    /// The drill's ledgers, the target's orders and attempts, as gathered after the run.
    case drill(DrillRecord)
    /// An `abort` threshold stayed broken for its delay and stopped the run, at this run second.
    case thresholdBroken(String, atSecond: Double, observed: String)
    /// The run is over: how long it ran, and whether (and why) it was stopped before the end of its plan.
    case ended(actualSeconds: Double, interrupted: Bool, reason: String?)
}
