public import NIOCore
import NIOPosix

/// A loopback server that answers whatever arrives first with fixed bytes, then closes: for a peer that speaks
/// garbage, or stops in the middle of a frame.
public final class RawReplyServer: Sendable {
    public let port: Int
    private let channel: any Channel

    private init(port: Int, channel: any Channel) {
        self.port = port
        self.channel = channel
    }

    public static func start(
        group: any EventLoopGroup, reply: [UInt8], thenClose: Bool = true
    ) async throws
        -> RawReplyServer
    {
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Replier(reply: reply, thenClose: thenClose))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return RawReplyServer(port: channel.localAddress!.port!, channel: channel)
    }

    public var baseURL: String { "http://127.0.0.1:\(port)" }

    public func close() async {
        try? await channel.close()
    }
}

private final class Replier: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let reply: [UInt8]
    let thenClose: Bool
    private var replied = false

    init(reply: [UInt8], thenClose: Bool) {
        self.reply = reply
        self.thenClose = thenClose
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !replied else { return }
        replied = true
        let written = context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: reply)))
        if thenClose { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}
