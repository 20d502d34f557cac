/// Whether the target has answered yet. A rehearsal in which not one request got an HTTP answer measures nothing:
/// a wrong port, a target not started, a name that does not resolve, a certificate not trusted, a target that will
/// not speak the protocol asked for, or one that takes connections and never answers on them (a hung process, a
/// port that is not HTTP). Played to its end it only fails late (an hour of a Double 11 rehearsal to learn of a typo),
/// so the coordinator stops it once `patience` has passed since the first request ended without one answered.
///
/// Only a target that never answered stops a run: once one request had an answer (a 500 included), a later outage
/// is what the rehearsal is there to see.
public struct TargetReach: Sendable, Equatable {
    /// How long after the first request's second the run may go on without one answered.
    public let patience: Double
    /// What a request fails with when no connection to the target could be opened: nothing was exchanged.
    public static let unconnected: Set<ErrorLabel> = [.connect, .tls, .certificate, .protocolMismatch]
    /// What a request fails with when it got no HTTP answer: no connection, or none in time (`timeout`), the
    /// connection closed first (`reset`), or what came back was not HTTP (`protocol`).
    public static let unanswered: Set<ErrorLabel> = unconnected.union([.timeout, .reset, .protocol])
    /// Requests ended so far, how many of them got no answer, and how many of those could not open a connection.
    public private(set) var requests = 0
    public private(set) var unanswered = 0
    public private(set) var unconnected = 0
    /// The run second of the first interval with requests.
    public private(set) var firstSecond: Int?
    /// The first failure's detail, to say what the requests met: one that could not connect, if any did.
    public private(set) var sample: ErrorSample?

    public init(patience: Double) {
        self.patience = patience
    }

    /// True once a request had an answer.
    public var reached: Bool { unanswered < requests }

    /// Adds one worker's second.
    public mutating func add(_ interval: IntervalReport) {
        guard !reached else { return }
        var sent = 0
        for step in interval.steps {
            sent += step.counts.requests
            unanswered += Self.unanswered.reduce(0) { $0 + (step.counts.errors[$1] ?? 0) }
            unconnected += Self.unconnected.reduce(0) { $0 + (step.counts.errors[$1] ?? 0) }
        }
        guard sent > 0 else { return }
        requests += sent
        firstSecond = min(firstSecond ?? interval.second, interval.second)
        // A sample of a connection not opened says most (a blackholed port times out waiting for one, too).
        let first = { (labels: Set<ErrorLabel>) in
            interval.samples.filter { labels.contains($0.label) }.min { $0.at < $1.at }
        }
        if sample.map({ !Self.unconnected.contains($0.label) }) ?? true {
            sample = first(Self.unconnected) ?? sample ?? first(Self.unanswered)
        }
    }

    /// Why the run should stop at this run second, or nil while it may go on: not one request had an answer in the
    /// `patience` since the first ended.
    public func giveUp(atSecond second: Double) -> String? {
        guard patience > 0, requests > 0, !reached, let firstSecond, second - Double(firstSecond) >= patience
        else { return nil }
        let seconds = second - Double(firstSecond)
        let unconnectedOnly = unconnected == requests
        let hint: String
        switch sample?.label {
        // A target not listening may be starting; a certificate or a protocol will not change by waiting.
        case nil, .connect?: hint = ": is it up, at that address? (--unreached-after waits longer)"
        case let label? where Self.unconnected.contains(label): hint = ""
        default: hint = ": does it answer HTTP at that address? (--unreached-after waits longer)"
        }
        return "not one of \(requests) request\(requests == 1 ? "" : "s") in \(Int(seconds.rounded())) s "
            + (unconnectedOnly ? "could open a connection" : "had an answer") + (sample.map { " (\($0.detail))" } ?? "")
            + hint
    }
}
