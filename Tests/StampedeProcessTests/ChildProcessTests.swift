import Foundation
import Glibc
import StampedeProcess
import Synchronization
import Testing

@Suite(.timeLimit(.minutes(1)))
struct ChildProcessTests {
    /// A scratch file for a child's output, removed by `body`'s end.
    static func withLog<T>(_ body: (String) throws -> T) rethrows -> T {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("stampede-child-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    static func text(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    @Test func theWaitStatusDecodesAsTheWMacrosDo() {
        #expect(Termination(waitStatus: 0) == .exited(0))
        #expect(Termination(waitStatus: 3 << 8) == .exited(3))
        #expect(Termination(waitStatus: 70 << 8) == .exited(70))
        #expect(Termination(waitStatus: SIGKILL) == .signalled(SIGKILL))
        #expect(Termination(waitStatus: SIGSEGV | 0x80) == .signalled(SIGSEGV))  // with a core dump
        #expect(Termination(waitStatus: (SIGSTOP << 8) | 0x7f) == nil)  // stopped: not ended
        #expect(Termination(waitStatus: 0xffff) == nil)  // continued
        #expect(Termination.signalled(SIGTERM).status == SIGTERM)
    }

    @Test func outputArgumentsEnvironmentAndTheExitCode() throws {
        try Self.withLog { log in
            let ended = Mutex<[Termination]>([])
            let child = try ChildProcess.launch(
                "/bin/sh",
                ["-c", "echo out \"$1\" $GREETING; echo err >&2; read x; echo \"stdin:$x\"; exit 3", "sh", "a b"],
                environment: ["GREETING": "hi", "PATH": "/usr/bin:/bin"], output: log,
                onExit: { termination in ended.withLock { $0.append(termination) } })
            child.waitUntilExit()
            #expect(child.outcome == .exited(3))
            #expect(child.terminationStatus == 3)
            #expect(!child.isRunning)
            #expect(ended.withLock { $0 } == [.exited(3)])
            #expect(Self.text(log) == "out a b hi\nerr\nstdin:\n")
        }
    }

    @Test func aFileIsEmptiedAndNilDiscards() throws {
        try Self.withLog { log in
            try "stale\n".write(toFile: log, atomically: true, encoding: .utf8)
            let quiet = try ChildProcess.launch("/bin/echo", ["nowhere"])
            let loud = try ChildProcess.launch("/bin/echo", ["fresh"], output: log)
            quiet.waitUntilExit()
            loud.waitUntilExit()
            #expect(quiet.outcome == .exited(0))
            #expect(Self.text(log) == "fresh\n")
        }
    }

    /// The parent's descriptors stay its own, even one opened without close-on-exec.
    @Test func theChildInheritsOnlyStdinStdoutAndStderr() throws {
        let open = Glibc.open("/dev/null", O_RDONLY)  // no O_CLOEXEC
        #expect(open > 2)
        defer { close(open) }
        try Self.withLog { log in
            let child = try ChildProcess.launch("/bin/ls", ["/proc/self/fd"], output: log)
            child.waitUntilExit()
            // ls's own directory descriptor is the one above 2.
            let descriptors = Self.text(log).split(separator: "\n").compactMap { Int($0) }
            #expect(descriptors.filter { $0 <= 2 } == [0, 1, 2])
            #expect(descriptors.count == 4, "\(descriptors)")
        }
    }

    /// Its own process group, no signal blocked, SIGINT and SIGTERM at their defaults even where this process
    /// ignores them (as it does while it handles them itself). Read from the child's own /proc/self.
    @Test func theChildStartsInItsOwnGroupWithDefaultSignals() throws {
        let previous = signal(SIGINT, SIG_IGN)
        defer { signal(SIGINT, previous) }
        try Self.withLog { log in
            let child = try ChildProcess.launch("/bin/cat", ["/proc/self/stat"], output: log)
            child.waitUntilExit()
            // pid (comm) state ppid pgrp …
            let fields = Self.text(log).split(separator: ")").last?.split(separator: " ") ?? []
            #expect(fields.count > 3 && Int32(fields[2]) == child.processIdentifier, "\(Self.text(log))")
        }
        try Self.withLog { log in
            let child = try ChildProcess.launch("/bin/grep", ["-E", "^Sig(Blk|Ign)", "/proc/self/status"], output: log)
            child.waitUntilExit()
            let masks = Dictionary(
                Self.text(log).split(separator: "\n").compactMap { line -> (String, UInt64)? in
                    let parts = line.split(separator: "\t")
                    guard parts.count == 2, let mask = UInt64(parts[1], radix: 16) else { return nil }
                    return (String(parts[0]), mask)
                }, uniquingKeysWith: { a, _ in a })
            #expect(masks["SigBlk:"] == 0, "\(Self.text(log))")
            let ignored = try #require(masks["SigIgn:"], "\(Self.text(log))")
            for number in [SIGINT, SIGTERM, SIGPIPE] { #expect(ignored & (1 << UInt64(number - 1)) == 0, "\(number)") }
        }
    }

    @Test func aSignalReachesItOnlyWhileItRuns() throws {
        let child = try ChildProcess.launch("/bin/sleep", ["30"])
        #expect(child.isRunning)
        #expect(child.terminationStatus == -1)
        #expect(child.send(SIGTERM))
        child.waitUntilExit()
        #expect(child.outcome == .signalled(SIGTERM))
        #expect(!child.send(SIGKILL))
        child.terminate()  // nothing: it has ended
        #expect(child.outcome == .signalled(SIGTERM))
    }

    @Test func aMissingProgramIsAnErrorNamingIt() {
        #expect {
            try ChildProcess.launch("/nonexistent/stampede-nothing", [])
        } throws: { error in
            "\(error)".contains("/nonexistent/stampede-nothing") && "\(error)".contains("No such file")
        }
    }

    /// Foundation's `Process.run()` could fault while listing `/proc/self/fd` (the type's comment says why), the
    /// more likely the more descriptors are open: many at once, from many threads, with a thousand open.
    @Test func manyAtOnceWithManyDescriptorsOpen() async throws {
        let descriptors = (0..<1_000).map { _ in Glibc.open("/dev/null", O_RDONLY | O_CLOEXEC) }
        defer { for descriptor in descriptors where descriptor >= 0 { close(descriptor) } }
        let statuses = try await withThrowingTaskGroup(of: Int32.self) { group in
            for index in 0..<64 {
                group.addTask {
                    let child = try ChildProcess.launch("/bin/sh", ["-c", "exit \(index % 7)"])
                    while child.isRunning { try await Task.sleep(for: .milliseconds(5)) }
                    return child.terminationStatus * 100 + Int32(index % 7)
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(statuses.count == 64)
        #expect(statuses.allSatisfy { $0 / 100 == $0 % 100 })
    }
}
