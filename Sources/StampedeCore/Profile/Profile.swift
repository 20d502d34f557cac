/// A traffic shape over a day (or a longer window): hourly weights or stages, plus top-of-hour spikes.
///
/// A profile sets the *shape*; a run sets the *scale* (peak rate, compression, window), see ``RunScale``.
/// All times in a profile are seconds on the profile's own clock, counted from 00:00 of its first day.
public struct Profile: Codable, Sendable, Equatable {
    public var name: String
    public var title: String
    /// The seed document(s) the numbers come from.
    public var source: String?
    /// An IANA time zone identifier: the profile clock is local time there.
    public var timeZone: String
    public var shape: Shape
    public var spikes: [Spike]
    /// Flash sales: crowds arriving on top of the shape.
    public var bursts: [Burst]

    public enum Shape: Codable, Sendable, Equatable {
        /// The relative weight of each hour; 24 entries per day.
        case hourly([Double])
        /// Linear ramps between levels, one after the other.
        case stages([Stage])
    }

    public init(
        name: String,
        title: String = "",
        source: String? = nil,
        timeZone: String = "UTC",
        shape: Shape,
        spikes: [Spike] = [],
        bursts: [Burst] = []
    ) {
        self.name = name
        self.title = title
        self.source = source
        self.timeZone = timeZone
        self.shape = shape
        self.spikes = spikes
        self.bursts = bursts
    }

    enum CodingKeys: String, CodingKey {
        case name, title, source, timeZone, shape, spikes, bursts
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        title = try container.decode(String.self, forKey: .title)
        source = try container.decodeIfPresent(String.self, forKey: .source)
        timeZone = try container.decode(String.self, forKey: .timeZone)
        shape = try container.decode(Shape.self, forKey: .shape)
        spikes = try container.decode([Spike].self, forKey: .spikes)
        bursts = try container.decodeIfPresent([Burst].self, forKey: .bursts) ?? []
    }

    /// The length of the profile in profile seconds.
    public var length: Double {
        switch shape {
        case .hourly(let weights): Double(weights.count) * 3600
        case .stages(let stages): stages.reduce(0) { $0 + $1.duration }
        }
    }

    /// Periods are what the report has one row for: the hours of an hourly profile, or the stages.
    public var periods: [Period] {
        switch shape {
        case .hourly(let weights):
            return weights.indices.map { hour in
                Period(
                    index: hour, label: ProfileClock.label(hour * 3600), start: Double(hour) * 3600,
                    end: Double(hour + 1) * 3600)
            }
        case .stages(let stages):
            var start = 0.0
            return stages.enumerated().map { index, stage in
                defer { start += stage.duration }
                return Period(
                    index: index, label: stage.label ?? "stage \(index + 1)", start: start,
                    end: start + stage.duration)
            }
        }
    }
}

/// One stage of a staged profile: the level ramps linearly from `from` (or the previous stage's level) to `to`.
public struct Stage: Codable, Sendable, Equatable {
    public var label: String?
    public var duration: Double
    public var from: Double?
    public var to: Double

    public init(label: String? = nil, duration: Double, from: Double? = nil, to: Double) {
        self.label = label
        self.duration = duration
        self.from = from
        self.to = to
    }
}

/// A flash-sale spike: from `start` for `duration` profile seconds the rate is `level` times the busiest level
/// of the base shape.
public struct Spike: Codable, Sendable, Equatable {
    public var label: String
    public var start: Double
    public var duration: Double
    public var level: Double

    public init(label: String, start: Double, duration: Double, level: Double) {
        self.label = label
        self.start = start
        self.duration = duration
        self.level = level
    }

    public var end: Double { start + duration }
}

/// A row of the report: an hour of an hourly profile, or a stage.
public struct Period: Codable, Sendable, Equatable {
    public var index: Int
    public var label: String
    public var start: Double
    public var end: Double
}

/// A flash sale ("整点秒杀"): at a profile instant, a crowd of shoppers arrives within a real-time window (or all at
/// once) and follows one flow for one SKU, of which there is a known stock. The crowd is on top of the shape and
/// is not scaled by the peak rate: it is the number of shoppers, exactly.
public struct Burst: Codable, Sendable, Equatable {
    public var label: String
    /// Profile seconds.
    public var at: Double
    public var crowd: Int
    /// Real seconds over which the crowd arrives, evenly; 0 is all at once.
    public var within: Double
    /// The scenario flow the crowd follows.
    public var flow: String
    /// The SKU on sale; `{{sku}}` for the crowd.
    public var sku: String
    /// Units on sale, as announced (the target's books, when read, are the truth).
    public var stock: Int

    public init(label: String, at: Double, crowd: Int, within: Double, flow: String, sku: String, stock: Int) {
        self.label = label
        self.at = at
        self.crowd = crowd
        self.within = within
        self.flow = flow
        self.sku = sku
        self.stock = stock
    }
}
