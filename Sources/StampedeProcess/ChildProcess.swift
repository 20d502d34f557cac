import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
public import Glibc
#elseif canImport(Darwin)
public import Darwin
#endif

/// A process this one started: `stampede run`'s workers, and the peers and tools the tests start.
///
/// Why not Foundation's `Process`: on Linux its `run()` lists `/proc/self/fd` to close the parent's descriptors in
/// the child, and copies each directory entry's whole 256-byte name where `readdir` returned a record of 24–32
/// bytes. When that record ends glibc's buffer and the next page is unmapped, the copy faults: a crash in `run()`,
/// more likely the more descriptors are open (swift-corelibs-foundation #5472, fixed after Swift 6.3.1). Here the
/// child closes them itself (`posix_spawn_file_actions_addclosefrom_np`, glibc 2.34 and later), nothing is listed.
///
/// The child starts in a process group of its own (a Ctrl-C at the terminal reaches this process, which stops its
/// children itself), with no signal blocked and the usual ones at their default action (this process ignores
/// SIGINT and SIGTERM while it handles them, and a child would inherit that), stdin from /dev/null, and stdout
/// and stderr into one file (or /dev/null). A thread per child waits for it to end. It is signalled only while it
/// has not been reaped, so its PID is still its own: never another process that reused the number.
public final class ChildProcess: Sendable {
    public let processIdentifier: pid_t
    private let termination = Mutex<Termination?>(nil)
    private let ended = DispatchGroup()
    private let onExit: (@Sendable (Termination) -> Void)?

    /// Starts `executable` (a path) with `arguments`; `environment` nil passes this process's own. `output`: the
    /// file (created, or emptied) that gets the child's stdout and stderr; nil discards them. `onExit` is called
    /// once, on the waiting thread, when the child has ended.
    public static func launch(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, output: String? = nil,
        onExit: (@Sendable (Termination) -> Void)? = nil
    ) throws -> ChildProcess {
        let pid = try spawn(executable, arguments, environment: environment, output: output)
        let child = ChildProcess(processIdentifier: pid, onExit: onExit)
        Thread.detachNewThread { child.waitForTheEnd() }
        return child
    }

    private init(processIdentifier: pid_t, onExit: (@Sendable (Termination) -> Void)?) {
        self.processIdentifier = processIdentifier
        self.onExit = onExit
        ended.enter()
    }

    /// True until the child has ended and been reaped.
    public var isRunning: Bool { termination.withLock { $0 == nil } }

    /// How the child ended; nil while it runs.
    public var outcome: Termination? { termination.withLock { $0 } }

    /// The exit code, or the number of the signal that ended the child, as `Process.terminationStatus` gives it;
    /// -1 while it runs.
    public var terminationStatus: Int32 { outcome?.status ?? -1 }

    /// Sends `signal` to the child if it has not been reaped; false if it had ended, or `kill` failed.
    @discardableResult
    public func send(_ signal: Int32) -> Bool {
        termination.withLock { $0 == nil && kill(processIdentifier, signal) == 0 }
    }

    /// SIGTERM, if the child still runs.
    public func terminate() { send(SIGTERM) }

    /// Blocks the calling thread until the child has ended.
    public func waitUntilExit() { ended.wait() }

    /// Waits (without reaping) for the child to end, then reaps it holding the lock that `send` holds.
    private func waitForTheEnd() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(processIdentifier), &info, WEXITED | WNOWAIT) != 0 && errno == EINTR {}
        let outcome = termination.withLock { termination in
            var status: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(processIdentifier, &status, 0) } while reaped == -1 && errno == EINTR
            // Reaped by someone else (ECHILD): how it ended is lost.
            let outcome = reaped == processIdentifier ? Termination(waitStatus: status) ?? .exited(-1) : .exited(-1)
            termination = outcome
            return outcome
        }
        onExit?(outcome)
        ended.leave()
    }

    /// `posix_spawn` with the file actions and attributes the type's comment describes.
    private static func spawn(
        _ executable: String, _ arguments: [String], environment: [String: String]?, output: String?
    ) throws -> pid_t {
        let sink = open(output ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard sink >= 0 else { throw ChildProcessError(executable, "cannot open \(output ?? "/dev/null")", errno) }
        defer { close(sink) }

        #if canImport(Glibc)
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #else
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, sink, 1)
        posix_spawn_file_actions_adddup2(&actions, sink, 2)
        var flags = Int32(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
        guard let closeFrom = addCloseFrom else {
            throw ChildProcessError(executable, "this C library has no posix_spawn_file_actions_addclosefrom_np", 0)
        }
        let closing = closeFrom(&actions, 3)
        guard closing == 0 else {
            throw ChildProcessError(executable, "cannot close descriptors in the child", closing)
        }
        #endif
        posix_spawnattr_setflags(&attributes, Int16(flags))
        posix_spawnattr_setpgroup(&attributes, 0)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGQUIT, SIGHUP, SIGPIPE, SIGCHLD, SIGUSR1, SIGUSR2] {
            sigaddset(&defaults, signal)
        }
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for string in argv + envp { free(string) } }
        var pid = pid_t()
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, envp)
        guard result == 0 else { throw ChildProcessError(executable, "cannot start", result) }
        return pid
    }
}

#if !canImport(Darwin)
/// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later), looked up once: Swift
/// imports `spawn.h` without `_GNU_SOURCE`, which declares it.
private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>?, Int32) -> Int32
private let addCloseFrom: AddCloseFrom? = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np").map {
    unsafeBitCast($0, to: AddCloseFrom.self)
}
#endif

/// A child process that could not be started: which program, what failed, and the system's reason.
public struct ChildProcessError: Error, CustomStringConvertible {
    public let description: String

    init(_ executable: String, _ what: String, _ code: Int32) {
        description = "\(executable): \(what)" + (code == 0 ? "" : ": \(String(cString: strerror(code)))")
    }
}
