/// How a run plays a profile: how fast the busiest instant is, how much time is compressed, and which part of
/// the profile's day is played.
public struct RunScale: Codable, Sendable, Equatable {
    public enum Compression: Codable, Sendable, Equatable {
        /// Profile seconds per real second (1440 plays a day in a minute).
        case speed(Double)
        /// The real duration of the whole window, in seconds.
        case duration(Double)
    }

    /// Arrivals per real second at the busiest instant of the window, spikes included. Nothing goes faster.
    public var peakRate: Double
    public var compression: Compression
    /// The part of the profile played, in profile seconds; nil plays the whole profile.
    public var window: ProfileWindow?

    public init(peakRate: Double, compression: Compression, window: ProfileWindow? = nil) {
        self.peakRate = peakRate
        self.compression = compression
        self.window = window
    }
}

/// A range of profile time, [start, end).
public struct ProfileWindow: Codable, Sendable, Equatable {
    public var start: Double
    public var end: Double

    public init(start: Double, end: Double) {
        self.start = start
        self.end = end
    }

    public var length: Double { end - start }

    /// Parses "09:00-11:00" (see ``ProfileClock/parse(_:)``); an end of "00:00" or before the start means the
    /// next day.
    public static func parse(_ text: String) -> ProfileWindow? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let start = ProfileClock.parse(String(parts[0])),
            var end = ProfileClock.parse(String(parts[1]))
        else { return nil }
        if end <= start { end += 86_400 }
        return ProfileWindow(start: start, end: end)
    }
}
