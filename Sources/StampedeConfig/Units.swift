import Foundation

/// Parsing of the units used in files and on the command line.
public enum Units {
    /// "90s", "250ms", "5m", "1.5h", "1h30m", "2d"; a bare number is seconds. Nil when it is not a duration.
    public static func seconds(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        guard !trimmed.isEmpty else { return nil }
        if let plain = Double(trimmed) { return plain.isFinite && plain >= 0 ? plain : nil }
        var total = 0.0
        var number = ""
        var unit = ""
        var sawPart = false
        func flush() -> Bool {
            guard let value = Double(number), value >= 0 else { return false }
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m", "min": scale = 60
            case "h": scale = 3600
            case "d": scale = 86_400
            default: return false
            }
            total += value * scale
            number = ""
            unit = ""
            sawPart = true
            return true
        }
        for character in trimmed {
            if character.isNumber || character == "." {
                if !unit.isEmpty { guard flush() else { return nil } }
                number.append(character)
            } else if character.isLetter {
                guard !number.isEmpty else { return nil }
                unit.append(character)
            } else {
                return nil
            }
        }
        guard !number.isEmpty, flush(), sawPart, total.isFinite else { return nil }
        return total
    }

    /// "800/s", "48000/m", "800" (per second). Nil when it is not a positive rate.
    public static func ratePerSecond(_ text: String) -> Double? {
        let parts = text.trimmingCharacters(in: .whitespaces).lowercased().split(separator: "/")
        guard (1...2).contains(parts.count), let count = Double(parts[0]), count > 0, count.isFinite else { return nil }
        guard parts.count == 2 else { return count }
        switch parts[1] {
        case "s", "sec", "second": return count
        case "m", "min", "minute": return count / 60
        case "h", "hour": return count / 3600
        default: return nil
        }
    }

    /// "1440x" or "1440": profile seconds per real second.
    public static func speed(_ text: String) -> Double? {
        var trimmed = text.trimmingCharacters(in: .whitespaces).lowercased()
        if trimmed.hasSuffix("x") { trimmed.removeLast() }
        guard let value = Double(trimmed), value > 0, value.isFinite else { return nil }
        return value
    }

    /// "0.5s..2s", "1s" (fixed), "0": think time as a range of seconds.
    public static func secondsRange(_ text: String) -> ClosedRange<Double>? {
        let parts = text.components(separatedBy: "..")
        guard (1...2).contains(parts.count) else { return nil }
        guard let low = seconds(parts[0]) else { return nil }
        guard parts.count == 2 else { return low...low }
        guard let high = seconds(parts[1]), high >= low else { return nil }
        return low...high
    }
}
