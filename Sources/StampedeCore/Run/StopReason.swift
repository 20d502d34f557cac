/// Why a run, or one worker's part of it, stopped. The wire carries its ``code``; people read its description.
public enum StopReason: Sendable, Equatable, CustomStringConvertible {
    /// The plan is over and the shoppers ended.
    case planOver
    /// A signal (Ctrl-C, SIGTERM) at the process that stopped.
    case interrupted
    /// The coordinator declared the worker lost (silent or disconnected); its arrivals went to the others.
    case declaredLost
    /// No word from the coordinator for the whole lease.
    case leaseExpired(after: Duration)
    /// The coordinator's stream ended without a stop.
    case coordinatorGone
    /// The coordinator would not take the worker.
    case refused(String)
    /// Not every expected worker said hello before the registration deadline: the run never started.
    case registrationDeadline(joined: [String], expected: Int)
    /// An `abort` threshold stayed broken: the run was stopped as a safety valve.
    case thresholdBroken(String)
    /// Not one request had an answer from the target for a while after the first ended: the run measured nothing.
    case targetUnreached(String)

    /// A stable name for the reason, on the wire and in logs.
    public enum Code: String, Sendable, CaseIterable {
        case planOver = "plan_over"
        case interrupted
        case declaredLost = "declared_lost"
        case leaseExpired = "lease_expired"
        case coordinatorGone = "coordinator_gone"
        case refused
        case registrationDeadline = "registration_deadline"
        case thresholdBroken = "threshold_broken"
        case targetUnreached = "target_unreached"
    }

    public var code: Code {
        switch self {
        case .planOver: .planOver
        case .interrupted: .interrupted
        case .declaredLost: .declaredLost
        case .leaseExpired: .leaseExpired
        case .coordinatorGone: .coordinatorGone
        case .refused: .refused
        case .registrationDeadline: .registrationDeadline
        case .thresholdBroken: .thresholdBroken
        case .targetUnreached: .targetUnreached
        }
    }

    /// The reason from its code and the text that came with it (the lease in milliseconds, a refusal's words).
    public init(code: Code, detail: String) {
        switch code {
        case .planOver: self = .planOver
        case .interrupted: self = .interrupted
        case .declaredLost: self = .declaredLost
        case .leaseExpired: self = .leaseExpired(after: .milliseconds(Int64(detail) ?? 0))
        case .coordinatorGone: self = .coordinatorGone
        case .refused: self = .refused(detail)
        case .registrationDeadline:
            let parts = detail.split(separator: "/", maxSplits: 1).map(String.init)
            self = .registrationDeadline(
                joined: parts.count > 1 ? parts[1].split(separator: ",").map(String.init) : [],
                expected: Int(parts.first ?? "") ?? 0)
        case .thresholdBroken: self = .thresholdBroken(detail)
        case .targetUnreached: self = .targetUnreached(detail)
        }
    }

    /// What travels with the code.
    public var detail: String {
        switch self {
        case .leaseExpired(let after): String(after.wholeMilliseconds)
        case .refused(let message): message
        case .registrationDeadline(let joined, let expected): "\(expected)/" + joined.joined(separator: ",")
        case .thresholdBroken(let threshold): threshold
        case .targetUnreached(let what): what
        default: ""
        }
    }

    /// True when the worker stopped because nobody was in control any more: the load stopped for safety, not
    /// because the run was over.
    public var isLossOfControl: Bool {
        switch self {
        case .leaseExpired, .coordinatorGone: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .planOver: "the plan is over"
        case .interrupted: "interrupted by a signal"
        case .declaredLost: "declared lost by the coordinator"
        case .leaseExpired(let after): "lease expired: no word from the coordinator for \(after.wholeMilliseconds) ms"
        case .coordinatorGone: "the coordinator is gone"
        case .refused(let message): "refused by the coordinator: \(message)"
        case .registrationDeadline(let joined, let expected):
            "the registration deadline passed with \(joined.count) of \(expected) worker\(expected == 1 ? "" : "s") "
                + (joined.isEmpty ? "(none joined)" : "(joined: \(joined.joined(separator: ", ")))")
                + "; \(expected - joined.count) did not join"
        case .thresholdBroken(let threshold): "the threshold \(threshold) broke (abort)"
        case .targetUnreached(let what): "the target never answered: \(what)"
        }
    }
}
