import GRPCNIOTransportHTTP2
import StampedeCore
import StampedeWorker
import Testing

/// The worker and `stampede swarm` dial the coordinator alike: a name is resolved (`stampede swarm --coordinator
/// localhost:7070` failed with gRPC's `failedToParseIPString("localhost")`), a literal is used as it is.
struct CoordinatorTargetTests {
    @Test func aNameIsResolvedAndALiteralIsUsedAsItIs() throws {
        #expect(try #require(HostPort("localhost:7070")).coordinatorTarget is ResolvableTargets.DNS)
        #expect(try #require(HostPort("coordinator.internal:7070")).coordinatorTarget is ResolvableTargets.DNS)
        #expect(try #require(HostPort("127.0.0.1:7070")).coordinatorTarget is ResolvableTargets.IPv4)
        #expect(try #require(HostPort("[::1]:7070")).coordinatorTarget is ResolvableTargets.IPv6)
    }
}
