#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// How many files, sockets among them, this process may hold open (`RLIMIT_NOFILE`).
///
/// A load generator holds one a connection. Under a login shell's soft limit of 1,024, a run of 2,400 shoppers
/// going at once, each on its own connection, failed 1,426 of them with "too many open files": the generator's
/// failures, which the report then counted as the target's connect errors (they are labelled `files` now). The
/// hard limit allowed far more. So every Stampede process raises its soft limit to the hard one when it starts,
/// as the Go runtime does; the workers `stampede run` starts inherit it.
public enum FileLimit {
    /// Read from the process (`current()`), never made elsewhere: its memberwise init stays internal.
    public struct Limits: Equatable, Sendable {
        public var soft: Int
        public var hard: Int
    }

    /// Files a process needs besides its connections: its logs, the coordinator's channel, the event loops' own.
    public static let reserve = 64

    public static func current() -> Limits {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return Limits(soft: 0, hard: 0) }
        return Limits(soft: count(limit.rlim_cur), hard: count(limit.rlim_max))
    }

    /// Raises the soft limit to the hard one (an unprivileged process may); the limits after.
    @discardableResult
    public static func raiseSoftToHard() -> Limits {
        var limit = rlimit()
        guard getrlimit(resourceNoFile, &limit) == 0 else { return current() }
        // A hard limit of "unlimited" is no soft limit for files (macOS takes at most OPEN_MAX, 10,240): then the
        // highest that is taken.
        for candidate in [limit.rlim_max, 1_048_576, 10_240] where candidate > limit.rlim_cur {
            var raised = limit
            raised.rlim_cur = min(candidate, limit.rlim_max)
            if setrlimit(resourceNoFile, &raised) == 0 { break }
        }
        return current()
    }

    /// What a worker may hold at once: its pool's connections to each origin, or with a connection a shopper, one
    /// for each shopper going. Nil when the limit allows it; else the sentence that says what will fail.
    public static func shortfall(connections: Int, limits: Limits = current()) -> String? {
        guard connections + reserve > limits.soft else { return nil }
        return "this worker may hold \(connections) connections at once, but may open only \(limits.soft) files "
            + "(ulimit -n; hard limit \(limits.hard)): connections beyond fail with \"too many open files\" (error "
            + "label files), load the target never sees. Raise the limit, or lower --max-shoppers or --connections."
    }

    private static func count(_ value: rlim_t) -> Int {
        value > rlim_t(Int.max) ? Int.max : Int(value)  // RLIM_INFINITY is all ones
    }

    #if os(Linux)
    private static let resourceNoFile = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    #else
    private static let resourceNoFile = RLIMIT_NOFILE
    #endif
}
