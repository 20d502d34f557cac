/// When a benchmark connection's free HTTP/2 streams carry requests again.
///
/// By default one at a time, the moment each response ends, as h2load does: the server always has the most work
/// queued. Then every request is a write of its own, and on loopback that write is most of what a request costs the
/// generator (it carries the kernel's delivery to the server). Refilled `batch` at a time, the requests go out
/// together in one write while the connection keeps at least ``fewestInFlight`` streams busy: the generator spends
/// less CPU a request, which is more load where its CPU is what is limited (a quota), but the server pays more a
/// request waking a generator that now sleeps between batches (docs/http.md has the figures).
public struct StreamRefill: Sendable, Equatable {
    /// Streams the connection keeps in flight.
    public let streams: Int
    /// Requests sent together once that many streams are free.
    public let batch: Int
    /// Streams whose responses have come and that carry nothing yet.
    private(set) var free = 0

    /// Any batch is held to 1...streams.
    public init(streams: Int, batch: Int = 1) {
        self.streams = max(1, streams)
        self.batch = min(self.streams, max(1, batch))
    }

    /// The fewest streams in flight between refills.
    public var fewestInFlight: Int { streams - batch + 1 }

    /// A stream's response has ended: how many requests to send now (0 until `batch` streams are free).
    mutating func streamFreed() -> Int {
        free += 1
        guard free >= batch else { return 0 }
        defer { free = 0 }
        return free
    }

    /// A new connection: its streams are all filled at once, so none is waiting.
    mutating func reset() { free = 0 }
}
