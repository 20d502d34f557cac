import Foundation
public import NIOCore
import NIOHTTP1
public import NIOPosix
public import StampedeClock
public import StampedeCore
import Synchronization

/// A payment channel (alipay-like, wechat-like, unionpay-like) on loopback: `POST /charge`, `GET /charges/{order}`
/// (the status query), a latency around `latency`, a ledger of every charge (`GET /admin/ledger`), and faults on a
/// clock the drill sets (`POST /admin/faults`): timeout, error, slow, flap, refuse, garbage. Raw SwiftNIO, so that
/// it can refuse connections, hang, or answer garbage, as real gateways on a bad night do.
public final class ChannelSimulator: Sendable {
    public let name: String
    public let port: Int
    let ledger: ChannelLedger
    private let group: any EventLoopGroup
    private let host: String
    private let latency: Duration
    private let listener: Mutex<(any Channel)?>
    private let connections = Mutex<[ObjectIdentifier: any Channel]>([:])
    private let supervisor: Mutex<Task<Void, Never>?> = Mutex(nil)

    private init(
        name: String, host: String, port: Int, latency: Duration, group: any EventLoopGroup, listener: any Channel,
        ledger: ChannelLedger
    ) {
        self.name = name
        self.host = host
        self.port = port
        self.latency = latency
        self.group = group
        self.ledger = ledger
        self.listener = Mutex(listener)
    }

    /// Starts a channel on `host:port` (0 picks a free port). Its faults follow `clock` (a drill's schedule can be
    /// played on a manual clock in a test).
    public static func start(
        name: String, host: String = "127.0.0.1", port: Int = 0, latency: Duration = .milliseconds(20),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, clock: any MonotonicClock = ProcessClock()
    ) async throws -> ChannelSimulator {
        let ledger = ChannelLedger(channel: name, clock: clock)
        let box = SimulatorBox()
        let listener = try await bind(host: host, port: port, group: group, box: box)
        let simulator = ChannelSimulator(
            name: name, host: host, port: listener.localAddress?.port ?? port, latency: latency, group: group,
            listener: listener, ledger: ledger)
        box.simulator = simulator
        simulator.supervise(box: box)
        return simulator
    }

    public var baseURL: String { "http://\(host):\(port)" }

    /// Every charge so far.
    public var charges: [ChargeRecord] { ledger.all }

    public func stop() async {
        supervisor.withLock { $0?.cancel() }
        let channel = listener.withLock { listener in
            defer { listener = nil }
            return listener
        }
        try? await channel?.close()
        for connection in connections.withLock({ Array($0.values) }) { try? await connection.close() }
    }

    private static func bind(
        host: String, port: Int, group: any EventLoopGroup, box: SimulatorBox
    ) async throws -> any Channel {
        try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                box.simulator?.track(channel)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(ChannelRequestHandler(box: box))
                }
            }
            .bind(host: host, port: port).get()
    }

    private func track(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        connections.withLock { $0[id] = channel }
        channel.closeFuture.whenComplete { [self] _ in _ = connections.withLock { $0.removeValue(forKey: id) } }
    }

    /// Closes the listener while a `refuse` fault lasts, and listens again after. Its connections are told to
    /// quiesce (NIO's `ChannelShouldQuiesceEvent`): an idle one closes at once, one with a request being answered
    /// closes once the answer is out. A gateway refusing connections refuses new ones; a request it had already
    /// taken is answered (closing it mid-answer was another fault, a reset, and made a drill's count of payments
    /// failed by the fault depend on whether a request happened to be in flight as the fault began).
    private func supervise(box: SimulatorBox) {
        let task = Task { [self] in
            while !Task.isCancelled {
                let refusing = ledger.behaviour()?.kind == .refuse
                let listening = listener.withLock { $0 != nil }
                if refusing && listening {
                    let channel = listener.withLock { listener in
                        defer { listener = nil }
                        return listener
                    }
                    try? await channel?.close()
                    for connection in connections.withLock({ Array($0.values) }) {
                        connection.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
                    }
                } else if !refusing && !listening {
                    if let channel = try? await Self.bind(host: host, port: port, group: group, box: box) {
                        listener.withLock { $0 = channel }
                    }
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
        }
        supervisor.withLock { $0 = task }
    }

    /// The latency of one answer: around `latency`, log-normally spread (σ 0.3).
    func answerDelay(extra: Double = 0) -> TimeAmount {
        var generator = SystemRandomNumberGenerator()
        let u1 = max(Double(generator.next() >> 11) * 0x1.0p-53, 1e-12)
        let u2 = Double(generator.next() >> 11) * 0x1.0p-53
        let normal = (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
        return .nanoseconds(Int64((latency.seconds * exp(0.3 * normal) + extra) * 1e9))
    }
}

/// Lets the pipeline reach its simulator (set once, right after the listener binds).
final class SimulatorBox: @unchecked Sendable {
    // @unchecked: written once before any connection can arrive (the listener is bound but the simulator is
    // assigned before the bootstrap's first accept is served), then only read.
    var simulator: ChannelSimulator?
}

/// One connection's requests.
final class ChannelRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    let box: SimulatorBox
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()

    init(box: SimulatorBox) {
        self.box = box
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
        case .body(var part):
            body.writeBuffer(&part)
        case .end:
            guard let head, let simulator = box.simulator else { return }
            handle(head, body: Array(body.readableBytesView), simulator: simulator, context: context)
        }
    }

    private func handle(
        _ head: HTTPRequestHead, body: [UInt8], simulator: ChannelSimulator, context: ChannelHandlerContext
    ) {
        let path = head.uri.split(separator: "?").first.map(String.init) ?? head.uri
        let ledger = simulator.ledger
        switch (head.method, path) {
        case (.POST, "/charge"):
            let request: ChargeRequest
            switch ChargeRequest.parse(body) {
            case .success(let parsed): request = parsed
            case .failure(let problem): return respond(400, ["error": problem.message], context: context)
            }
            switch ledger.behaviour()?.kind {
            case .timeout?:
                // Charges, then never answers.
                _ = ledger.charge(request)
            case .garbage?:
                context.writeAndFlush(
                    NIOAny(HTTPServerResponsePart.head(HTTPResponseHead(version: .http1_1, status: .ok))),
                    promise: nil)
                if let encoder = try? context.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self) {
                    encoder.writeAndFlush(
                        NIOAny(ByteBuffer(string: "\u{0}\u{1}PAYMENT GATEWAY 💥 \u{7F}")), promise: nil)
                }
                context.close(promise: nil)
            case .error?:
                later(simulator.answerDelay(), context: context) {
                    self.respond(503, ["error": "channel unavailable"], context: context)
                }
            case .refuse?:
                context.close(promise: nil)
            case .slow?, .flap?, nil:
                let extra = ledger.behaviour()?.kind == .slow ? ledger.behaviour()!.extra : 0
                later(simulator.answerDelay(extra: extra), context: context) {
                    switch ledger.charge(request) {
                    case .charged(let charge):
                        self.respond(
                            200, ["charge_id": charge.id, "status": "succeeded", "order": charge.order],
                            context: context)
                    case .keyTaken(let earlier):
                        self.respond(
                            409,
                            [
                                "error": "idempotency_key \"\(request.idempotencyKey ?? "")\" was used for order "
                                    + "\(earlier.order) (amount \(earlier.amount)), and this is order \(request.order) "
                                    + "(amount \(request.amount)): a key names one charge"
                            ], context: context)
                    }
                }
            }
        case (.GET, let path) where path.hasPrefix("/charges/"):
            let order = String(path.dropFirst("/charges/".count))
            if ledger.behaviour()?.kind == .error {
                return respond(503, ["error": "channel unavailable"], context: context)
            }
            later(simulator.answerDelay(), context: context) {
                let charges = ledger.charges(order: order).map {
                    ["charge_id": $0.id, "succeeded": $0.succeeded] as [String: Any]
                }
                self.respond(200, ["order": order, "charges": charges], context: context)
            }
        case (.GET, "/admin/ledger"):
            respond(200, encoded: SimulatorAPI.Ledger(channel: simulator.name, charges: ledger.all), context: context)
        case (.POST, "/admin/faults"):
            guard let request = try? JSONDecoder().decode(SimulatorAPI.FaultsRequest.self, from: Data(body)) else {
                return respond(
                    400, ["error": "expected {faults: [{kind, from_ms, for_ms, extra_ms}], start_in_ms}"],
                    context: context)
            }
            ledger.schedule(FaultSchedule(request.faults.map(\.fault)), startIn: .milliseconds(request.startInMs))
            respond(200, ["faults": request.faults.count], context: context)
        case (.POST, "/admin/reset"):
            ledger.reset()
            respond(200, ["reset": true], context: context)
        case (.GET, "/health"):
            respond(200, ["channel": simulator.name], context: context)
        default:
            respond(404, ["error": "no such route"], context: context)
        }
    }

    /// Answers after `delay`, unless the connection is gone by then (the client gave up, or it was closed): a
    /// gateway charges only for a request it still has a connection to answer.
    private func later(_ delay: TimeAmount, context: ChannelHandlerContext, _ body: @escaping () -> Void) {
        context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard context.channel.isActive else { return }
            body()
        }
    }

    private func respond(_ status: Int, encoded value: some Encodable, context: ChannelHandlerContext) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        respond(status, data: (try? encoder.encode(value)) ?? Data(), context: context)
    }

    private func respond(_ status: Int, _ object: [String: Any], context: ChannelHandlerContext) {
        respond(
            status, data: (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data(),
            context: context)
    }

    private func respond(_ status: Int, data: Data, context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "application/json")
        headers.add(name: "content-length", value: String(data.count))
        context.write(
            wrapOutboundOut(
                .head(
                    HTTPResponseHead(
                        version: .http1_1, status: HTTPResponseStatus(statusCode: status), headers: headers))),
            promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(bytes: data)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    }
}
