import StampedeProcess
import Testing

/// The listeners of one process, tried together: one port asked for twice is refused, naming both options, before
/// any is bound (so whether another process has the port does not matter).
struct ListeningPortTests {
    @Test func onePortAskedForTwiceIsRefusedNamingBothOptions() throws {
        let port = Int.random(in: 20_000..<30_000)
        let listeners: [ListeningPort.Listener] = [
            (host: "127.0.0.1", port: 0, option: "--listen"),
            (host: "127.0.0.1", port: port, option: "--metrics-port"),
            (host: "::1", port: port, option: "--dashboard"),
        ]
        #expect {
            try ListeningPort.check(listeners)
        } throws: { error in
            "\(error)"
                == "cannot listen on [::1]:\(port) (--dashboard): --metrics-port asks for it too (choose another port, "
                + "or 0 for a free one)"
        }
        // Port 0 twice is two free ports.
        try ListeningPort.check([listeners[0], listeners[0]])
    }
}
