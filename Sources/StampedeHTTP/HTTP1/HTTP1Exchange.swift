import NIOCore
import NIOHTTP1

/// One request handed to an HTTP/1.1 connection, and the promise of its response.
final class HTTP1Exchange: Sendable {
    let head: HTTPRequestHead
    let body: ByteBuffer?
    let timeout: TimeAmount
    let promise: EventLoopPromise<ExchangeResult>

    init(head: HTTPRequestHead, body: ByteBuffer?, timeout: TimeAmount, promise: EventLoopPromise<ExchangeResult>) {
        self.head = head
        self.body = body
        self.timeout = timeout
        self.promise = promise
    }
}
