import StampedeCore
import StampedeHTTP

/// Where a shopper is in its flow: everything it carries from one request to the next. A shopper that thinks
/// for longer than ``Shopper/parkAfter`` is only this (parked with ``ParkedShoppers``), not a suspended task: a
/// task keeps the deepest stack it ever had (the task allocator keeps its slabs), about 18 KiB after a request,
/// while this is a few hundred bytes.
///
/// A class, not a struct: an async function holds in its frame every value it keeps across a wait, and the
/// functions a shopper's task runs (the task's closure, `Shopper.go`, the scheduler's `settle`) each held one or
/// two copies of it, so each needed a slab of the task allocator of its own. One object, owned by one party at a
/// time: the task running it (``ShopperRunners``), or the scheduler while it is parked (hence `@unchecked
/// Sendable`).
final class ShopperProgress: @unchecked Sendable {
    let arrival: Arrival
    /// The slot its arrival counts in.
    let slot: Int
    /// The index of the client's event loop it runs on (where its own connection lives, if it has one).
    let loop: Int
    let flow: Int
    /// The step in progress, and how many of its repetitions are done.
    var step = 0
    var repetition = 0
    /// How many times the step in progress repeats, drawn when the shopper reaches it (nil: not reached yet).
    var times: Int?
    var state: Shopper.State
    /// When its next request is meant to start.
    var intended: ContinuousInstant
    /// Its own connection, when each shopper has one.
    var session: HTTPSession?

    init(
        arrival: Arrival, slot: Int, loop: Int, flow: Int, state: Shopper.State, intended: ContinuousInstant,
        session: HTTPSession? = nil
    ) {
        self.arrival = arrival
        self.slot = slot
        self.loop = loop
        self.flow = flow
        self.state = state
        self.intended = intended
        self.session = session
    }
}

/// How a leg of a shopper's flow ended: the flow is over, or the shopper thinks until `progress.intended`.
enum ShopperLeg: Sendable {
    case ended
    case thinking(ShopperProgress)
}
