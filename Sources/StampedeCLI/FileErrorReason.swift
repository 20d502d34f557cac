import Foundation

/// A file error in a person's words: the operating system's reason under a Foundation error ("no such file or
/// directory", "is a directory", "no space left on device"), not `Error Domain=NSCocoaErrorDomain Code=4 …`.
enum FileErrorReason {
    static func of(_ error: any Error) -> String {
        let wrapped = error as NSError
        if let posix = wrapped.userInfo[NSUnderlyingErrorKey] as? NSError, posix.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(posix.code))).lowercased()
        }
        return wrapped.localizedDescription
    }
}
