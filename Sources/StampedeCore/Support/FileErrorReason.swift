public import Foundation

/// A file error in a person's words: the operating system's reason under a Foundation error ("no such file or
/// directory", "is a directory", "no space left on device"), not `Error Domain=NSCocoaErrorDomain Code=4 …`.
public enum FileErrorReason {
    public static func of(_ error: any Error) -> String {
        let wrapped = error as NSError
        if let posix = wrapped.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code))).lowercased()
        }
        if wrapped.domain == NSPOSIXErrorDomain { return String(cString: strerror(Int32(wrapped.code))).lowercased() }
        // Without the system's error under it (a full disk while the report was written said "The operation could
        // not be completed. There isn’t enough space."), the Foundation code says which.
        if wrapped.domain == NSCocoaErrorDomain, let errno = Self.errnoOfCocoaCode[wrapped.code] {
            return String(cString: strerror(errno)).lowercased()
        }
        return wrapped.localizedDescription
    }

    /// "path: reason" for one of Foundation's file errors (with its path when it has one); nil for any other error.
    public static func ofFile(_ error: any Error) -> String? {
        guard let file = error as? CocoaError, file.isFileError else { return nil }
        return (file.filePath.map { "\($0): " } ?? "") + of(file)
    }

    /// Foundation's file error codes and the system's errors they stand for.
    static let errnoOfCocoaCode: [Int: Int32] = [
        CocoaError.fileNoSuchFile.rawValue: ENOENT, CocoaError.fileReadNoSuchFile.rawValue: ENOENT,
        CocoaError.fileReadNoPermission.rawValue: EACCES, CocoaError.fileWriteNoPermission.rawValue: EACCES,
        CocoaError.fileWriteOutOfSpace.rawValue: ENOSPC, CocoaError.fileWriteVolumeReadOnly.rawValue: EROFS,
        CocoaError.fileWriteFileExists.rawValue: EEXIST,
    ]
}
