/// How a run's report is judged: the exit code of `stampede run`, `stampede-coordinator` and `stampede report`,
/// and the reasons, in order of precedence:
///
/// 4 the run did not complete (stopped, registration deadline, workers lost beyond the limit, not one request
///   answered) — unless an `abort` threshold stopped it, which is a threshold failure; 2 a verdict failed
///   (oversold, phantom, leaked, double or orphan charges, uncharged orders), unless verdicts only report; 1 a threshold failed; 3 a verdict a threshold needs could not be
///   checked; 0 otherwise.
public struct RunJudgement: Sendable, Equatable {
    public enum Status: Int32, Sendable, Equatable {
        case ok = 0
        case thresholdFailed = 1
        case verdictFailed = 2
        case verdictUnverified = 3
        case incomplete = 4
    }

    /// One thing found, with what kind of thing it is.
    public struct Finding: Sendable, Equatable {
        public enum Kind: Sendable, Equatable {
            case incomplete
            case verdict
            case threshold
            case unverified
        }

        public var kind: Kind
        public var text: String
    }

    public var status: Status
    /// Most serious first.
    public var findings: [Finding]

    public init(status: Status, findings: [Finding]) {
        self.status = status
        self.findings = findings
    }

    /// One sentence per finding, most serious first.
    public var reasons: [String] { findings.map(\.text) }

    public static func of(_ report: RunReport, gate: GateSettings = GateSettings()) -> RunJudgement {
        var incomplete: [String] = []
        let thresholds = report.thresholds ?? []
        let aborted = thresholds.filter { $0.abortedAt != nil }
        if report.run.interrupted, aborted.isEmpty {
            incomplete.append("the run did not complete: \(report.run.stopReason ?? "it was stopped before the end")")
        }
        let requests = report.totals.requests
        if requests.ok + requests.throttled == 0 {
            incomplete.append(
                requests.requests == 0
                    ? "no request was sent: the rehearsal measured nothing"
                    : "no request succeeded (\(requests.requests) sent, all failed): the rehearsal measured nothing")
        }
        let lost = report.workers.filter { $0.status == .lost }
        if lost.count > gate.maxLostWorkers {
            incomplete.append(
                "\(lost.count) worker\(lost.count == 1 ? "" : "s") lost (\(lost.map(\.name).joined(separator: ", "))), "
                    + "more than the \(gate.maxLostWorkers) allowed")
        }
        var verdicts: [String] = []
        for verdict in report.inventory where verdict.verified && verdict.failed {
            verdicts.append("\(verdict.sku): \(verdict.summary)")
        }
        if let payments = report.payments, payments.verified, payments.failedVerdict {
            verdicts.append("payments: \(payments.summary)")
        }
        let failed = thresholds.filter { $0.outcome == .failed }.map { result in
            "\(result.threshold): observed \(result.observedText)"
                + (result.reason.map { " (\($0))" } ?? "")
        }
        let unverified = thresholds.filter { $0.outcome == .unverified }.map { result in
            "\(result.threshold): cannot be checked (\(result.reason ?? "unverified"))"
        }
        let status: Status =
            !incomplete.isEmpty
            ? .incomplete
            : gate.failOnVerdict && !verdicts.isEmpty
                ? .verdictFailed
                : !failed.isEmpty ? .thresholdFailed : !unverified.isEmpty ? .verdictUnverified : .ok
        return RunJudgement(
            status: status,
            findings: incomplete.map { Finding(kind: .incomplete, text: $0) }
                + verdicts.map { Finding(kind: .verdict, text: $0) }
                + failed.map { Finding(kind: .threshold, text: $0) }
                + unverified.map { Finding(kind: .unverified, text: $0) })
    }
}
