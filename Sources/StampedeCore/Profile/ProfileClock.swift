/// Reading and writing times on the profile clock ("10:00", "d2 09:30", "33:00").
public enum ProfileClock {
    /// "HH:MM" for the first day, "d2 HH:MM" after it.
    public static func label(_ seconds: Int) -> String {
        let minutes = seconds / 60
        let day = minutes / (24 * 60)
        let hour = (minutes / 60) % 24
        let minute = minutes % 60
        let clock = "\(hour < 10 ? "0" : "")\(hour):\(minute < 10 ? "0" : "")\(minute)"
        return day == 0 ? clock : "d\(day + 1) \(clock)"
    }

    public static func label(_ seconds: Double) -> String {
        label(Int(seconds.rounded(.down)))
    }

    /// "HH:MM:SS" ("d2 HH:MM:SS" after the first day): for clocks that move less than a minute a line.
    public static func labelWithSeconds(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        let second = whole % 60
        return label(whole) + ":" + (second < 10 ? "0" : "") + String(second)
    }

    /// An instant: "HH:MM" on a whole minute, "HH:MM:SS" otherwise (a flash sale at 00:00:30).
    public static func instant(_ seconds: Double) -> String {
        Int(seconds.rounded(.down)) % 60 == 0 ? label(seconds) : labelWithSeconds(seconds)
    }

    /// The label of an instant that ends a range: midnight at the end of a day reads "24:00" ("d2 24:00").
    public static func endLabel(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.down))
        guard whole > 0, whole % 86_400 == 0 else { return label(whole) }
        let day = whole / 86_400
        return day == 1 ? "24:00" : "d\(day) 24:00"
    }

    /// Parses "HH:MM" (HH may pass 23 for multi-day profiles), "HH:MM:SS" or "dN HH:MM" into profile seconds.
    public static func parse(_ text: String) -> Double? {
        var rest = Substring(text.trimmingWhitespace())
        var dayOffset = 0
        if rest.first == "d" || rest.first == "D" {
            let parts = rest.dropFirst().split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
            guard parts.count == 2, let day = Int(parts[0]), day >= 1, day <= 366 else { return nil }
            dayOffset = (day - 1) * 86_400
            rest = parts[1]
        }
        let fields = rest.split(separator: ":", omittingEmptySubsequences: false)
        guard fields.count == 2 || fields.count == 3,
            fields.allSatisfy({ !$0.isEmpty && $0.count <= 4 && $0.allSatisfy(\.isASCIIDigit) })
        else { return nil }
        let numbers = fields.compactMap { Int($0) }
        guard numbers.count == fields.count, numbers[1] < 60, numbers.count == 2 || numbers[2] < 60 else {
            return nil
        }
        if dayOffset > 0 && numbers[0] > 23 { return nil }
        let seconds = numbers[0] * 3600 + numbers[1] * 60 + (numbers.count == 3 ? numbers[2] : 0)
        return Double(dayOffset + seconds)
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension StringProtocol {
    /// The text without whitespace at either end.
    public func trimmingWhitespace() -> Substring {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice = slice.dropFirst() }
        while let last = slice.last, last.isWhitespace { slice = slice.dropLast() }
        return Substring(slice)
    }
}
