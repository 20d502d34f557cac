import ArgumentParser
import Foundation
import StampedeCore

/// A file written where the command line says (`--json`, `--output`, `--port-file`, …). Its place is checked while
/// the command line is read, so a typo in a folder is a usage error before any work; `compare --json
/// /nonexistent/x.json` compared both runs first, then failed with exit 70 and Foundation's `NSCocoaErrorDomain
/// Code=4` dump, and `shop --port-file` into a missing folder was ignored (a script waiting for the file waited
/// for ever).
enum OutputFile {
    /// Why `path` cannot be written, or nil when its folder is there and may be written in.
    static func problem(_ path: String) -> String? {
        let manager = FileManager.default
        var isFolder: ObjCBool = false
        if manager.fileExists(atPath: path, isDirectory: &isFolder) {
            if isFolder.boolValue { return "it is a folder" }
            return manager.isWritableFile(atPath: path) ? nil : "it may not be written (permission denied)"
        }
        let folder = URL(fileURLWithPath: path).deletingLastPathComponent().path
        guard manager.fileExists(atPath: folder, isDirectory: &isFolder) else { return "no such folder: \(folder)" }
        guard isFolder.boolValue else { return "\(folder) is not a folder" }
        return manager.isWritableFile(atPath: folder) ? nil : "\(folder) may not be written in (permission denied)"
    }

    /// Refuses an output path that cannot be written, naming its option (exit 64, with the command's usage).
    static func check(_ path: String?, option: String) throws {
        guard let path, let problem = problem(path) else { return }
        throw ValidationError("\(option): cannot write \(path): \(problem)")
    }

    /// Writes the file whole (a reader never sees half of it). A failure that the check could not foresee (a full
    /// disk) is this command's failure, in words: exit 70.
    static func write(_ text: String, to path: String, option: String) throws {
        try write(Data(text.utf8), to: path, option: option)
    }

    static func write(_ data: Data, to path: String, option: String) throws {
        do {
            try data.write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CommandFailure(.internalError, "\(option): cannot write \(path): \(FileErrorReason.of(error))")
        }
    }

}
