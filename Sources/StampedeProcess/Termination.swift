/// How a child process ended: its exit code, or the signal that ended it.
public enum Termination: Equatable, Sendable, CustomStringConvertible {
    case exited(Int32)
    case signalled(Int32)

    /// From a status `waitpid(2)` filled in (what `WIFEXITED`, `WEXITSTATUS`, `WIFSIGNALED` and `WTERMSIG`
    /// decode, which Swift does not import): the low 7 bits are the signal (0 for an exit), the next byte the exit
    /// code. Nil for a stopped or continued child, which has not ended.
    public init?(waitStatus status: Int32) {
        let signal = status & 0x7f
        if signal == 0 {
            self = .exited((status >> 8) & 0xff)
        } else if signal != 0x7f {
            self = .signalled(signal)
        } else {
            return nil
        }
    }

    /// The exit code, or the signal's number, as Foundation's `Process.terminationStatus` gives it.
    public var status: Int32 {
        switch self {
        case .exited(let code), .signalled(let code): code
        }
    }

    public var description: String {
        switch self {
        case .exited(let code): "exited with status \(code)"
        case .signalled(let signal): "ended by signal \(signal)"
        }
    }
}
