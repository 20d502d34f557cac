/// One failure with what it was about: the path that found nothing, the status that was not expected, the start
/// of the body. Kept once per step and error label (the first), so a report can say why without a log.
public struct ErrorSample: Codable, Sendable, Equatable {
    public var flow: Int
    public var step: Int
    public var label: ErrorLabel
    public var detail: String
    /// Microseconds since the run's start.
    public var at: UInt64

    public init(step id: StepID, label: ErrorLabel, detail: String, at: UInt64) {
        self.flow = id.flow
        self.step = id.step
        self.label = label
        self.detail = detail
        self.at = at
    }

    public var id: StepID { StepID(flow: flow, step: step) }

    /// The start of a body as one line of printable text, for a sample's detail.
    public static func excerpt(_ body: some Collection<UInt8>, limit: Int = 160) -> String {
        guard !body.isEmpty else { return "an empty body" }
        let text = String(decoding: body.prefix(limit), as: UTF8.self)
        let flat = String(
            text.map { $0.isNewline || $0 == "\t" ? " " : $0 }.filter { !$0.isASCII || $0.asciiValue! >= 0x20 })
        return "\"" + flat + (body.count > limit ? "…" : "") + "\""
    }
}

/// The first sample of each failure, per step and label, as a report shows them (with names).
public struct ErrorSampleSummary: Codable, Sendable, Equatable {
    public var flow: String
    public var step: String
    public var label: ErrorLabel
    public var detail: String
    /// Run seconds.
    public var at: Double
}
