public import StampedeCore

/// Small plans and scenarios for tests.
public enum TestPlans {
    /// A steady rate for `seconds` real seconds (a one-stage profile played in real time).
    public static func steady(rate: Double, seconds: Double) throws -> Plan {
        let profile = Profile(name: "steady", shape: .stages([Stage(duration: seconds, from: 1, to: 1)]))
        return try Plan(profile: profile, scale: RunScale(peakRate: rate, compression: .speed(1)))
    }

    /// A scenario of one flow whose steps are `GET` requests to the given paths, with no think time.
    public static func gets(_ paths: [String], name: String = "gets") -> Scenario {
        Scenario(
            name: name,
            flows: [
                Flow(
                    name: "flow",
                    steps: paths.enumerated().map { index, path in
                        Step(name: "step\(index + 1)", path: Template(literal: path))
                    })
            ])
    }
}
