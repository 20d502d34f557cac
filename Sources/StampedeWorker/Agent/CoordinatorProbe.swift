public import Logging
import NIOCore
import NIOPosix
public import StampedeClock
public import StampedeCore
import StampedeHTTP

/// Before a worker says hello, it waits for its coordinator to be there: a worker pod may start long before the
/// coordinator's (or before its Service name resolves). It tries a TCP connection with a growing pause (0.1 s,
/// doubling to 2 s, ±20 % so a fleet does not knock in step) until one is accepted or the join timeout passes.
public enum CoordinatorProbe {
    public struct Unreachable: Error, CustomStringConvertible {
        var endpoint: HostPort
        var waited: Duration
        var attempts: Int
        var last: String

        public var description: String {
            "the coordinator at \(endpoint) did not answer within \(waited) (\(attempts) attempts; last: \(last))"
        }
    }

    /// Returns the number of attempts it took; throws ``Unreachable`` after `timeout`.
    public static func waitUntilReachable(
        _ endpoint: HostPort, timeout: Duration, clock: any MonotonicClock, logger: Logger
    ) async throws -> Int {
        let deadline = clock.now.advanced(by: timeout)
        var pause = Duration.milliseconds(100)
        var attempts = 0
        var random = SystemRandomNumberGenerator()
        while true {
            attempts += 1
            let problem: String
            do {
                let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                    .connectTimeout(.seconds(2))
                    .connect(host: endpoint.host, port: endpoint.port).get()
                try? await channel.close()
                return attempts
            } catch {
                problem = Self.describe(error)
            }
            if attempts == 1 {
                logger.info("waiting for the coordinator", metadata: ["at": "\(endpoint)", "problem": "\(problem)"])
            }
            let now = clock.now
            guard now < deadline else {
                throw Unreachable(endpoint: endpoint, waited: timeout, attempts: attempts, last: problem)
            }
            let jitter = Double.random(in: 0.8...1.2, using: &random)
            let wait = min(pause * jitter, now.duration(to: deadline))
            try await clock.sleep(until: now.advanced(by: wait), tolerance: nil)
            pause = min(pause * 2, .seconds(2))
        }
    }

    static func describe(_ error: any Error) -> String { HTTPClientError.reason(error) }
}
