import Foundation
import Glibc
import Testing

@testable import StampedeProcess

struct FileLimitTests {
    @Test func aWorkerIsWarnedOnlyWhenItsConnectionsAndReserveExceedTheSoftLimit() throws {
        let limits = FileLimit.Limits(soft: 1_024, hard: 4_096)
        #expect(FileLimit.shortfall(connections: 256, limits: limits) == nil)
        #expect(FileLimit.shortfall(connections: 1_024 - FileLimit.reserve, limits: limits) == nil)
        let warning = try #require(FileLimit.shortfall(connections: 1_024 - FileLimit.reserve + 1, limits: limits))
        #expect(warning.contains("may hold 961 connections at once, but may open only 1024 files"), "\(warning)")
        #expect(warning.contains("hard limit 4096"), "\(warning)")
    }

    /// Lowered first where there is room (to well above what the test process holds open: the other tests' files
    /// stay openable in between), then raised.
    @Test func thisProcessCanOpenAsManyFilesAsItsHardLimitAllows() throws {
        let open = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count
        let before = FileLimit.current()
        var lowered = rlimit(rlim_cur: rlim_t(max(1_024, open + 256)), rlim_max: rlim_t(before.hard))
        if Int(lowered.rlim_cur) < before.hard {
            #expect(setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &lowered) == 0)
            #expect(FileLimit.current().soft == Int(lowered.rlim_cur))
        }
        let limits = FileLimit.raiseSoftToHard()
        #expect(limits.soft > 0)
        #expect(limits.soft == limits.hard)
        #expect(FileLimit.current() == limits)
    }
}
