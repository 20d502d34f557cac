public import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import StampedeConfig
import StampedeCore
import StampedeHTTP

/// `stampede bench-http`: the engine alone, closed loop, for side-by-side runs with h2load and wrk.
public struct BenchHTTPCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "bench-http",
        abstract: "Drive one fixed request as fast as the target answers and print requests/s and percentiles.",
        discussion: "A closed loop like h2load and wrk: -c connections, -m requests in flight on each (HTTP/2), "
            + "every latency recorded. For scripts/bench; a rehearsal uses `stampede run`.")

    @Argument(help: "The URL to request, e.g. http://127.0.0.1:8080/ or https://127.0.0.1:8443/.") var url: String
    @Option(name: .short, help: "Connections.") var c = 1
    @Option(name: .short, help: "Streams in flight per connection (HTTP/2).") var m = 1
    @Option(
        help: ArgumentHelp(
            "HTTP/2: send a connection's free streams again once this many are free, in one write. 1 (the "
                + "default, as h2load) sends each the moment its response ends; m/8 costs less CPU a request where "
                + "the generator's CPU is limited, see docs/http.md.",
            valueName: "n")) var refill = 1
    @Option(help: "How long to run (10s).") var duration = "10s"
    @Option(help: "http1, h2c, h2 or auto (ALPN decides for https).") var `protocol`: HTTPProtocolChoice = .auto
    @Option(help: "Event-loop threads.") var threads = 1
    @Option(help: "Request method.") var method = "GET"
    @Option(name: .customLong("header"), help: "A request header, NAME: VALUE (repeatable).") var headers: [String] = []
    @Option(help: "A request body.") var data: String?
    @Option(help: "A PEM file of CAs to trust for https.") var ca: String?
    @Flag(help: "Accept any TLS certificate (self-signed staging certificates).") var insecure = false
    @Flag(help: "Allow a target that is not on loopback (127.0.0.0/8, ::1).") var allowRemote = false

    public init() {}

    public func run() async throws {
        try await failing("stampede bench-http", Self.self) { try await work() }
    }

    public func validate() throws {
        try CommandLineNumbers.check(c, 1...10_000, option: "-c")
        try CommandLineNumbers.check(m, 1...10_000, option: "-m")
        try CommandLineNumbers.check(threads, CommandLineNumbers.threads, option: "--threads")
        if refill < 1 || refill > m {
            throw ValidationError("--refill: expected 1 to -m (\(m)), found \(refill)")
        }
        _ = try targetAndSeconds()
        try TLSFileOptions.checkAuthorities(ca, option: "--ca")
    }

    /// Where to send and for how long, checked while the command line is parsed.
    private func targetAndSeconds() throws -> (origin: Origin, seconds: Double) {
        guard let origin = Origin(url: url) else {
            throw ValidationError("expected a URL such as http://127.0.0.1:8080/, found \"\(url)\"")
        }
        guard origin.isLoopback || allowRemote else {
            throw ValidationError("\(origin.host) is not on loopback; load goes elsewhere only with --allow-remote")
        }
        let seconds = try CommandLineNumbers.seconds(duration, option: "--duration", example: "10s")
        guard seconds <= 3600 else { throw ValidationError("--duration: at most 1h, found \"\(duration)\"") }
        return (origin, seconds)
    }

    private func work() async throws {
        let (origin, seconds) = try targetAndSeconds()
        var request = HTTPRequest(method: .init(rawValue: method.uppercased()), target: Self.path(of: url))
        for header in headers {
            guard let colon = header.firstIndex(of: ":") else {
                throw ValidationError("--header: expected NAME: VALUE, found \"\(header)\"")
            }
            request.headers.add(
                name: String(header[..<colon]).trimmingCharacters(in: .whitespaces),
                value: String(header[header.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        if let data { request.body = ByteBuffer(string: data) }
        let client = HTTPClientConfiguration(
            protocolChoice: `protocol`, tls: TLSOptions(caFile: ca, insecure: insecure))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let outcome: Result<BenchResult, any Error>
        do {
            outcome = .success(
                try await runClosedLoopBench(
                    BenchSettings(
                        origin: origin, request: request, connections: c, streams: m,
                        duration: .seconds(seconds), client: client, refill: refill),
                    group: group))
        } catch {
            outcome = .failure(error)
        }
        try? await group.shutdownGracefully()
        let result: BenchResult
        switch outcome {
        case .success(let value): result = value
        case .failure(let error as HTTPClientError): throw CommandFailure(.incomplete, "\(url): \(error)")
        case .failure(let error): throw error
        }
        print(Self.render(result, url: url, connections: c, streams: m))
        // Connected, but not one answer: the target was not reached in any way that counts (it exited 0).
        if result.responses == 0, let first = result.firstError {
            throw CommandFailure(.incomplete, "\(url): not one request had an answer: \(first)")
        }
    }

    static func path(of url: String) -> String {
        guard let schemeEnd = url.range(of: "://") else { return "/" }
        let rest = url[schemeEnd.upperBound...]
        guard let slash = rest.firstIndex(of: "/") else { return "/" }
        return String(rest[slash...])
    }

    static func render(_ result: BenchResult, url: String, connections: Int, streams: Int) -> String {
        let latency = result.latency
        func ms(_ percentile: Double) -> String {
            String(format: "%.3f", Double(latency.microseconds(atPercentile: percentile)) / 1000)
        }
        var lines = [
            "bench-http \(url) over \(result.negotiated): \(connections) connections × \(streams) streams",
            String(
                format: "requests/s: %.0f  (%llu responses in %.2f s)", result.requestsPerSecond, result.responses,
                result.elapsed.seconds),
            String(
                format: "body bytes: %llu  (%.2f MB/s)", result.bodyBytes,
                result.elapsed.seconds > 0 ? Double(result.bodyBytes) / result.elapsed.seconds / 1e6 : 0),
            "latency ms: p50 \(ms(50))  p90 \(ms(90))  p99 \(ms(99))  p99.9 \(ms(99.9))  max "
                + String(format: "%.3f", Double(latency.maxMicroseconds) / 1000),
            "statuses: "
                + result.statuses.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " "),
        ]
        let refill = result.refill
        if refill.streams > 1 {
            lines.append(
                refill.batch == 1
                    ? "streams refilled one at a time: \(refill.streams) in flight a connection"
                    : "streams refilled \(refill.batch) at a time, in one write: \(refill.fewestInFlight) to "
                        + "\(refill.streams) in flight a connection")
        }
        if result.reconnects > 0 {
            lines.append(
                "reconnects: \(result.reconnects) (requests refused by GOAWAY and sent again: \(result.refused))")
        }
        if !result.errors.isEmpty {
            lines.append(
                "errors: "
                    + result.errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                    .joined(separator: " "))
        }
        // One machine-readable line for scripts/bench.
        lines.append(
            String(
                format: "RESULT rps=%.1f p50_us=%llu p99_us=%llu responses=%llu errors=%llu",
                result.requestsPerSecond, latency.microseconds(atPercentile: 50),
                latency.microseconds(atPercentile: 99), result.responses,
                result.errors.values.reduce(0, +)))
        return lines.joined(separator: "\n")
    }
}

extension HTTPProtocolChoice: ExpressibleByArgument {}
