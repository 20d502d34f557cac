/// The oversell verdict for one SKU: what shoppers were told against the target's own books.
public struct InventoryVerdict: Codable, Sendable, Equatable {
    public var sku: String
    /// False when the books could not be read (or lack the SKU): then nothing below is proved, and the verdict
    /// never says "no oversell".
    public var verified: Bool
    /// Why the books could not be used.
    public var problem: String?
    /// Units on sale at the start: the books' stock, or the burst's announced stock when unverified.
    public var initialStock: Int?
    /// Units confirmed to shoppers, and in how many orders.
    public var confirmedUnits: Int
    public var confirmations: Int
    /// Shoppers told "sold out".
    public var soldOutTold: Int
    public var failedAttempts: Int
    /// Units the books moved to sold, reserved or released (an order that lapsed or was cancelled) during the run.
    public var bookedByTarget: Int?
    /// Units the books gave back during the run (orders that lapsed unpaid or were cancelled), when they say.
    public var released: Int?
    public var finalStock: Int?
    public var reservedAtEnd: Int?
    /// Units held (sold or reserved) beyond the initial stock: by the books, or by what shoppers still hold
    /// (confirmed minus released).
    public var oversold: Int
    public var negativeStock: Bool
    /// Confirmations the books have no record of in any state (sold, reserved or released).
    public var phantom: Int
    /// Sales in the books the shoppers were never told of.
    public var unannounced: Int
    /// Units still held for unpaid orders older than the target's hold although shoppers were told "sold out"
    /// (reservations never given back). Claimed only when the target's hold is known.
    public var leaked: Int
    /// Run seconds of the confirmation that exhausted the initial stock, and of the first beyond it.
    public var soldOutAt: Double?
    public var firstOversoldAt: Double?

    /// Order attempts of shoppers for this SKU, whatever came of them. With none there is no evidence either way.
    public var attempts: Int { confirmations + soldOutTold + failedAttempts }

    /// One line: "OVERSOLD by 37", "ok", "no orders attempted", "UNVERIFIED: …".
    public var summary: String {
        var findings: [String] = []
        if oversold > 0 { findings.append("OVERSOLD by \(oversold)") }
        if negativeStock { findings.append("NEGATIVE STOCK") }
        if phantom > 0 { findings.append("PHANTOM \(phantom)") }
        if unannounced > 0 { findings.append("UNANNOUNCED \(unannounced)") }
        if leaked > 0 { findings.append("LEAKED \(leaked)") }
        if !verified {
            return "UNVERIFIED (\(problem ?? "no books"))"
                + (findings.isEmpty ? "" : ": " + findings.joined(separator: ", "))
        }
        if findings.isEmpty { return attempts == 0 ? "no orders attempted" : "ok" }
        return findings.joined(separator: ", ")
    }

    /// True when the verdict finds something wrong (it does not when it could not look: see ``verified``).
    public var failed: Bool {
        oversold > 0 || negativeStock || phantom > 0 || unannounced > 0 || leaked > 0
    }
}

/// Joins the shoppers' ledger with the target's books, before and after the run.
public enum InventoryVerifier {
    /// - Parameters:
    ///   - announced: stock announced per SKU (bursts), used only when the books are missing.
    ///   - problem: why the books could not be read, if they could not.
    ///   - hold: how long the target holds an unpaid order's units, when known (leaks are claimed only then).
    public static func verdicts(
        ledger: [String: LedgerCounts], before: InventoryBooks?, after: InventoryBooks?, problem: String?,
        announced: [String: Int], hold: Double? = nil
    ) -> [InventoryVerdict] {
        let skus = Set(ledger.keys).union(announced.keys).sorted()
        return skus.map { sku in
            let counts = ledger[sku] ?? LedgerCounts()
            let times = counts.confirmedAt.sorted()
            let start = before?.items[sku]
            let end = after?.items[sku]
            var verdict = InventoryVerdict(
                sku: sku, verified: false, problem: problem, initialStock: nil, confirmedUnits: counts.confirmedUnits,
                confirmations: counts.confirmations, soldOutTold: counts.soldOut, failedAttempts: counts.failed,
                bookedByTarget: nil, released: nil, finalStock: nil, reservedAtEnd: nil, oversold: 0,
                negativeStock: false, phantom: 0, unannounced: 0, leaked: 0, soldOutAt: nil, firstOversoldAt: nil)
            if let start, let end, let after, problem == nil {
                verdict.verified = true
                verdict.initialStock = start.stock
                let held = (end.sold + (end.reserved ?? 0)) - (start.sold + (start.reserved ?? 0))
                let released = end.released.map { $0 - (start.released ?? 0) }
                let booked = held + (released ?? 0)
                verdict.bookedByTarget = booked
                verdict.released = released
                verdict.finalStock = end.stock
                verdict.reservedAtEnd = end.reserved
                verdict.oversold = max(0, max(counts.confirmedUnits - (released ?? 0), held) - start.stock)
                verdict.negativeStock = end.stock < 0
                verdict.phantom = max(0, counts.confirmedUnits - booked)
                verdict.unannounced = max(0, booked - counts.confirmedUnits)
                if counts.soldOut > 0, let hold, let reserved = end.reserved {
                    // Units reserved at the end by orders younger than the hold are legitimately held.
                    let cutoff = (after.second - hold) * 1e6
                    let recent = times.filter { Double($0) > cutoff }.count * max(1, counts.unitsPerConfirmation)
                    verdict.leaked = max(0, reserved - (start.reserved ?? 0) - recent)
                }
            } else {
                if verdict.problem == nil {
                    verdict.problem =
                        before == nil || after == nil
                        ? "the books were not read" : "\(sku) is not in the target's books"
                }
                verdict.initialStock = announced[sku]
                if let stock = announced[sku] { verdict.oversold = max(0, counts.confirmedUnits - stock) }
            }
            if let stock = verdict.initialStock, stock > 0 {
                if times.count >= stock { verdict.soldOutAt = Double(times[stock - 1]) / 1e6 }
                if times.count > stock, verdict.oversold > 0 { verdict.firstOversoldAt = Double(times[stock]) / 1e6 }
            }
            return verdict
        }
    }
}

extension LedgerCounts {
    /// Units per confirmed order (1 when there were none).
    var unitsPerConfirmation: Int { confirmations > 0 ? confirmedUnits / confirmations : 1 }
}
