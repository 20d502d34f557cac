#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
@preconcurrency import Darwin
#endif

/// A port this process is asked to listen on, tried before anything else happens.
///
/// A coordinator whose `--listen` port was taken set the target up first (its setup steps reset the shop's stock),
/// then failed with gRPC's "serverIsStopped", exit 70; `--metrics-port`, `--dashboard`, `stampede shop --port` and
/// `stampede payments --channel` failed with NIO's "bind(descriptor:ptr:bytes:): Address already in use) (errno:
/// 98)". Tried here, the port is named with its option, nothing has been sent yet, and it is a configuration error.
/// (Another process may still take the port between this try and the real listen: that one fails as before.)
public enum ListeningPort {
    /// Binds `host:port` as a listener would (`SO_REUSEADDR`, as SwiftNIO sets it) and lets it go at once. Port 0
    /// (a free one) is tried too, for its host: `stampede shop --host nonsense.invalid --port 0` failed with NIO's
    /// "SocketAddressError.UnknownHost … (error -2)", exit 70.
    public static func check(host: String, port: Int, option: String) throws(Unavailable) {
        guard let problem = bindFailure(host: host, port: port) else { return }
        throw Unavailable(option: option, host: host, port: port, problem: problem)
    }

    /// One of the addresses a process will listen on, and the option that asks for it.
    public typealias Listener = (host: String, port: Int, option: String)

    /// Every address a process will listen on: each is tried, and two that ask for one port (other than 0) are
    /// refused, whatever their hosts. The second failed once the first was listening: `--metrics-port 9090
    /// --dashboard 9090` after the target had been set up.
    public static func check(_ listeners: [Listener]) throws(Unavailable) {
        for (index, listener) in listeners.enumerated() where listener.port != 0 {
            if let first = listeners[..<index].first(where: { $0.port == listener.port }) {
                throw Unavailable(
                    option: listener.option, host: listener.host, port: listener.port,
                    problem: "\(first.option) asks for it too (choose another port, or 0 for a free one)")
            }
        }
        for listener in listeners { try check(host: listener.host, port: listener.port, option: listener.option) }
    }

    /// Why the port cannot be listened on.
    public struct Unavailable: Error, Sendable, CustomStringConvertible {
        public let option: String
        public let host: String
        public let port: Int
        public let problem: String

        public var description: String {
            let address = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            return "cannot listen on \(address) (\(option)): \(problem)"
        }
    }

    private static func bindFailure(host: String, port: Int) -> String? {
        var hints = addrinfo()
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socketStream
        var found: UnsafeMutablePointer<addrinfo>?
        let resolved = getaddrinfo(host, String(port), &hints, &found)
        guard resolved == 0, let first = found else {
            return "\(host) does not resolve (\(String(cString: gai_strerror(resolved)).lowercased()))"
        }
        defer { freeaddrinfo(found) }
        let descriptor = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var on: Int32 = 1
        _ = setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, socklen_t(MemoryLayout<Int32>.size))
        guard bind(descriptor, first.pointee.ai_addr, first.pointee.ai_addrlen) != 0 else { return nil }
        let reason = errno
        let hint =
            switch reason {
            case EADDRINUSE: ": another process has it (choose another port, or 0 for a free one)"
            case EACCES: ": a port below 1024 needs privileges (choose one above)"
            case EADDRNOTAVAIL: ": this machine has no such address"
            default: ""
            }
        return String(cString: strerror(reason)).lowercased() + hint
    }

    #if canImport(Glibc)
    private static let socketStream = Int32(SOCK_STREAM.rawValue)
    #else
    private static let socketStream = SOCK_STREAM
    #endif
}
