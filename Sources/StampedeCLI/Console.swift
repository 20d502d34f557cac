#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

enum Console {
    /// One line at a time, also when the output goes to a file: logs and progress must show as they happen.
    static func lineBuffered() {
        // Called once at start, before any other thread writes.
        setvbuf(stdout, nil, _IOLBF, 0)
    }
}

extension String {
    /// Right-aligned in `width` columns (a table's number).
    func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
