/// Whether the target has been reached yet. A rehearsal whose every request failed to open a connection measures
/// nothing: a wrong port, a target not started, a name that does not resolve, a certificate not trusted, a target
/// that will not speak the protocol asked for. Played to its end it only fails late (an hour
/// of a Double 11 rehearsal to learn of a typo), so the coordinator stops it once `patience` has passed since the
/// first request without one reaching the target.
///
/// Only a target that never answered stops a run: once one request reached it (any answer, a 500 or a timeout on
/// an open connection included), a later outage is what the rehearsal is there to see.
public struct TargetReach: Sendable, Equatable {
    /// How long after the first request's second the run may go on without one reaching the target.
    public let patience: Double
    /// What a request fails with when no connection to the target could be opened: nothing was exchanged.
    public static let unconnected: Set<ErrorLabel> = [.connect, .tls, .certificate, .protocolMismatch]
    /// Requests sent so far, and how many of them could not open a connection.
    public private(set) var requests = 0
    public private(set) var unconnected = 0
    /// The run second of the first interval with requests.
    public private(set) var firstSecond: Int?
    /// The first such failure's detail, to say what the requests met.
    public private(set) var sample: ErrorSample?

    public init(patience: Double) {
        self.patience = patience
    }

    /// True once a request got past opening its connection.
    public var reached: Bool { unconnected < requests }

    /// Adds one worker's second.
    public mutating func add(_ interval: IntervalReport) {
        guard !reached else { return }
        var sent = 0
        for step in interval.steps {
            sent += step.counts.requests
            unconnected += Self.unconnected.reduce(0) { $0 + (step.counts.errors[$1] ?? 0) }
        }
        guard sent > 0 else { return }
        requests += sent
        firstSecond = min(firstSecond ?? interval.second, interval.second)
        if sample == nil {
            sample = interval.samples.filter { Self.unconnected.contains($0.label) }.min { $0.at < $1.at }
        }
    }

    /// Why the run should stop at this run second, or nil while it may go on: not one request opened a connection
    /// to the target in the `patience` since the first was sent.
    public func giveUp(atSecond second: Double) -> String? {
        guard patience > 0, requests > 0, !reached, let firstSecond, second - Double(firstSecond) >= patience
        else { return nil }
        let seconds = second - Double(firstSecond)
        return "not one of \(requests) request\(requests == 1 ? "" : "s") in \(Int(seconds.rounded())) s "
            + "could open a connection" + (sample.map { " (\($0.detail))" } ?? "")
            // A target not listening may be starting; a certificate or a protocol will not change by waiting.
            + (sample == nil || sample?.label == .connect
                ? ": is it up, at that address? (--unreached-after waits longer)" : "")
    }
}
