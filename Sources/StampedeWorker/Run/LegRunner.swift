import StampedeCore
import Synchronization

/// What a runner task does (``ShopperRunners``): a leg of a shopper's flow, then each next leg handed to it, until
/// its loop's runners close or enough wait; after each leg, the shopper is parked when it thinks, or counted out
/// when it has ended.
///
/// Methods, not closures: a nonisolated async method runs on its caller's executor
/// (`NonisolatedNonsendingByDefault`), where an async closure hopped to the generic executor after each call it
/// made, three hops a leg, each asking the runtime for the task's preferred executor under its status lock.
struct LegRunner: Sendable {
    let shopper: Shopper
    let parked: ParkedShoppers
    let progress: RunProgress
    /// Per loop of the client.
    let runners: [ShopperRunners]

    /// Runner `number` of `loop`: runs `first`, and then each leg handed to it.
    func run(_ first: ShopperRunners.Leg, loop: Int, number: Int) async {
        var leg: ShopperRunners.Leg? = first
        while let current = leg {
            switch current {
            case .begin(let arrival, let slot):
                if let begun = shopper.begin(arrival, slot: slot, loop: loop) {
                    await settle(await shopper.go(begun))
                } else {
                    await settle(.ended)
                }
            case .resume(let thinking):
                await settle(await shopper.go(thinking))
            }
            leg = await runners[loop].next(runner: number)
        }
    }

    /// After a leg: parked when the shopper thinks (ended, cancelled, if the scheduler parks no more), counted
    /// out when it has ended.
    func settle(_ leg: ShopperLeg) async {
        if case .thinking(let thinking) = leg {
            guard let refused = parked.park(thinking) else { return }
            _ = await shopper.end(refused, .failed(.cancelled))
        }
        if progress.inFlight.subtract(1, ordering: .relaxed).newValue == 0 { progress.idle.post() }
    }
}
