public import GRPCNIOTransportHTTP2
public import StampedeCore

extension HostPort {
    /// Where gRPC dials the coordinator at this address: an IPv4 or IPv6 literal as it is, or a DNS name (every
    /// address it resolves to tried in turn). The worker and `stampede swarm` dial alike.
    public var coordinatorTarget: any ResolvableTarget {
        switch kind {
        case .ipv4: ResolvableTargets.IPv4.ipv4(address: host, port: port)
        case .ipv6: ResolvableTargets.IPv6.ipv6(address: host, port: port)
        case .name: ResolvableTargets.DNS.dns(host: host, port: port)
        }
    }
}
