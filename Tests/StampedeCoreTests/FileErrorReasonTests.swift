import Foundation
import Testing

@testable import StampedeCore

/// File errors in the system's words, whichever way Foundation wraps them.
struct FileErrorReasonTests {
    @Test func aFoundationFileErrorIsSaidAsTheSystemSaysIt() {
        // With the system's error under it, as a write to a full disk failed mid-run.
        let wrapped = NSError(
            domain: NSCocoaErrorDomain, code: CocoaError.fileWriteOutOfSpace.rawValue,
            userInfo: [NSUnderlyingErrorKey: NSError(domain: NSPOSIXErrorDomain, code: Int(ENOSPC))])
        #expect(FileErrorReason.of(wrapped) == "no space left on device")
        // Without it, as the report's write failed: "The operation could not be completed. There isn’t enough space."
        #expect(FileErrorReason.of(CocoaError(.fileWriteOutOfSpace)) == "no space left on device")
        #expect(FileErrorReason.of(CocoaError(.fileNoSuchFile)) == "no such file or directory")
        #expect(FileErrorReason.of(NSError(domain: NSPOSIXErrorDomain, code: Int(EISDIR))) == "is a directory")
    }

    /// What the commands print for a file error nothing else caught: its path and the reason, and nil for others.
    @Test func aFileErrorIsItsPathAndItsReason() {
        let full = CocoaError(.fileWriteOutOfSpace, userInfo: [NSFilePathErrorKey: "/runs/r/report.html"])
        #expect(FileErrorReason.ofFile(full) == "/runs/r/report.html: no space left on device")
        #expect(FileErrorReason.ofFile(CocoaError(.fileReadNoPermission)) == "permission denied")
        #expect(FileErrorReason.ofFile(CocoaError(.coderValueNotFound)) == nil)
        #expect(
            FileErrorReason.ofFile(DecodingError.valueNotFound(Int.self, .init(codingPath: [], debugDescription: "")))
                == nil)
    }
}
