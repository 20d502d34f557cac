/// `intervals.jsonl` is written as the run goes, one line per worker per second: a hand-written encoder (a few
/// times faster than JSONEncoder, which was the coordinator's largest cost per interval) producing exactly what
/// `IntervalReport`'s Codable form reads back (sorted keys, as JSONEncoder writes them).
extension IntervalReport {
    public func jsonLine() -> String {
        var out = "{\"inFlight\":\(inFlight),\"ledger\":{"
        for (index, sku) in ledger.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            let counts = ledger[sku]!
            Self.appendString(sku, to: &out)
            out += ":{\"confirmations\":\(counts.confirmations),\"confirmedAt\":["
            out += counts.confirmedAt.map(String.init).joined(separator: ",")
            out +=
                "],\"confirmedUnits\":\(counts.confirmedUnits),\"failed\":\(counts.failed),\"soldOut\":\(counts.soldOut)}"
        }
        out += "},\"payments\":["
        for (index, event) in payments.enumerated() {
            if index > 0 { out += "," }
            out += "{\"at\":\(event.at),"
            if let channel = event.channel {
                out += "\"channel\":"
                Self.appendString(channel, to: &out)
                out += ","
            }
            out += "\"order\":"
            Self.appendString(event.order, to: &out)
            out += ",\"outcome\":\"\(event.outcome.rawValue)\"}"
        }
        out += "],\"samples\":["
        for (index, sample) in samples.enumerated() {
            if index > 0 { out += "," }
            out += "{\"at\":\(sample.at),\"detail\":"
            Self.appendString(sample.detail, to: &out)
            out += ",\"flow\":\(sample.flow),\"label\":"
            Self.appendString(sample.label.rawValue, to: &out)
            out += ",\"step\":\(sample.step)}"
        }
        out += "],\"second\":\(second),\"slots\":["
        for (index, record) in slots.enumerated() {
            if index > 0 { out += "," }
            let c = record.counts
            out += "{\"counts\":{\"dropped\":\(c.dropped),\"failed\":\(c.failed),\"failures\":"
            Self.appendLabels(c.failures, to: &out)
            out += ",\"maxStartLagMicros\":\(c.maxStartLagMicros),\"planned\":\(c.planned),\"started\":\(c.started),"
            out += "\"succeeded\":\(c.succeeded),\"throttled\":\(c.throttled)},\"slot\":\(record.slot)}"
        }
        out += "],\"steps\":["
        for (index, record) in steps.enumerated() {
            if index > 0 { out += "," }
            out += "{\"corrected\":"
            Self.appendHistogram(record.corrected, to: &out)
            let c = record.counts
            out += ",\"counts\":{\"errors\":"
            Self.appendLabels(c.errors, to: &out)
            out += ",\"failed\":\(c.failed),\"ok\":\(c.ok),\"requests\":\(c.requests),\"throttled\":\(c.throttled)},"
            out += "\"flow\":\(record.flow),\"slot\":\(record.slot),\"step\":\(record.step),\"uncorrected\":"
            Self.appendHistogram(record.uncorrected, to: &out)
            out += "}"
        }
        out += "],\"waiting\":\(waiting),\"worker\":"
        Self.appendString(worker, to: &out)
        out += "}"
        return out
    }

    private static func appendHistogram(_ histogram: SparseHistogram, to out: inout String) {
        out += "{\"c\":["
        appendNumbers(histogram.counts, to: &out)
        out += "],\"v\":["
        appendNumbers(histogram.values, to: &out)
        out += "]}"
    }

    /// Numbers separated by commas, their digits written straight into the line (no string per number).
    private static func appendNumbers(_ numbers: [UInt64], to out: inout String) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(numbers.count * 6)
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        for (index, number) in numbers.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            if number >= 10_000_000_000 {
                bytes.append(contentsOf: String(number).utf8)
                continue
            }
            var value = number
            var count = 0
            withUnsafeMutableBytes(of: &digits) { buffer in
                repeat {
                    buffer[count] = UInt8(ascii: "0") + UInt8(value % 10)
                    value /= 10
                    count += 1
                } while value > 0
                for position in stride(from: count - 1, through: 0, by: -1) { bytes.append(buffer[position]) }
            }
        }
        out += String(decoding: bytes, as: UTF8.self)
    }

    private static func appendLabels(_ labels: [ErrorLabel: Int], to out: inout String) {
        out += "{"
        for (index, label) in labels.keys.sorted().enumerated() {
            if index > 0 { out += "," }
            appendString(label.rawValue, to: &out)
            out += ":\(labels[label]!)"
        }
        out += "}"
    }

    private static func appendString(_ text: String, to out: inout String) {
        out += "\""
        Template.append(text, escaping: .json, to: &out)
        out += "\""
    }
}
