/// The target's books as read for a run: before the start, after the end, and along the way.
public struct GroundTruthRecord: Sendable, Equatable {
    public var before: InventoryBooks?
    public var after: InventoryBooks?
    public var readings: [InventoryBooks]
    /// Why the books could not be (fully) read, when they could not.
    public var problem: String?

    public init(
        before: InventoryBooks? = nil, after: InventoryBooks? = nil, readings: [InventoryBooks] = [],
        problem: String? = nil
    ) {
        self.before = before
        self.after = after
        self.readings = readings
        self.problem = problem
    }
}

/// When the books are read: before the first arrival, along the way, after the last.
public enum BooksPhase: String, Codable, Sendable, Equatable {
    case before
    case during
    case after
}

extension GroundTruthRecord {
    /// Keeps a reading (or the first problem). After the final reading, a run whose books were not read both
    /// before and after has a problem, so its verdict can never say "ok".
    public mutating func add(_ reading: Result<InventoryBooks, GroundTruthError>, phase: BooksPhase) {
        switch reading {
        case .success(let books):
            readings.append(books)
            switch phase {
            case .before: before = books
            case .after: after = books
            case .during: break
            }
        case .failure(let error):
            if problem == nil { problem = error.message }
        }
        if phase == .after, problem == nil, before == nil || after == nil {
            problem = "the books were not read before and after the run"
        }
    }
}
