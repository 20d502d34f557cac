import Testing

@testable import StampedeHTTP

struct StreamRefillTests {
    /// By default each stream goes out again on its own, as h2load does: every stream stays in flight.
    @Test func byDefaultEachStreamIsRefilledAtOnce() {
        var refill = StreamRefill(streams: 32)
        #expect(refill.batch == 1)
        #expect(refill.fewestInFlight == 32)
        #expect((0..<4).map { _ in refill.streamFreed() } == [1, 1, 1, 1])
        #expect(StreamRefill(streams: 32, batch: 4).fewestInFlight == 29)
    }

    /// A batch asked for is held to 1...streams, so a connection can never wait for more free streams than it has.
    @Test func aBatchIsHeldToTheStreams() {
        #expect(StreamRefill(streams: 8, batch: 20).batch == 8)
        #expect(StreamRefill(streams: 8, batch: 20).fewestInFlight == 1)
        #expect(StreamRefill(streams: 8, batch: 0).batch == 1)
        #expect(StreamRefill(streams: 0, batch: 3).streams == 1)
        #expect(StreamRefill(streams: 0, batch: 3).batch == 1)
    }

    /// Nothing goes out until `batch` streams are free; then all of them at once, and the count starts again.
    @Test func freeStreamsGoOutABatchAtATime() {
        var refill = StreamRefill(streams: 32, batch: 3)
        let sends = (0..<9).map { _ in refill.streamFreed() }
        #expect(sends == [0, 0, 3, 0, 0, 3, 0, 0, 3])
        #expect(refill.free == 0)
    }

    /// A new connection fills every stream itself: streams freed on the old one are not sent again on top.
    @Test func aNewConnectionForgetsTheFreeStreams() {
        var refill = StreamRefill(streams: 16, batch: 4)
        #expect(refill.streamFreed() == 0)
        #expect(refill.streamFreed() == 0)
        refill.reset()
        #expect(refill.free == 0)
        #expect([refill.streamFreed(), refill.streamFreed(), refill.streamFreed()] == [0, 0, 0])
        #expect(refill.streamFreed() == 4)
    }
}
