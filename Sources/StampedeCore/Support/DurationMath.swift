extension Duration {
    /// The duration in seconds, as a Double.
    public var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) * 1e-18
    }

    /// Microseconds, rounded, never negative.
    public var microseconds: UInt64 {
        let total = seconds * 1e6
        return total <= 0 ? 0 : UInt64(min(total.rounded(), 1e15))
    }

    /// Whole nanoseconds (rounded toward zero).
    public var wholeNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }

    /// Whole milliseconds (rounded toward zero).
    public var wholeMilliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1_000 + attoseconds / 1_000_000_000_000_000
    }

    /// A duration of `value` seconds, to the nanosecond.
    public static func seconds(double value: Double) -> Duration {
        .nanoseconds(Int64((value * 1e9).rounded()))
    }
}
