public import StampedeCore

/// Checks that a profile and a scenario fit together: every burst follows a flow the scenario has.
public enum RunConsistency {
    public static func problems(
        profile: Profile, profilePath: String, scenario: Scenario, scenarioPath: String
    ) -> [String] {
        let flows = scenario.flows.map(\.name)
        return profile.bursts.enumerated().compactMap { index, burst in
            flows.contains(burst.flow)
                ? nil
                : "\(profilePath): bursts[\(index)].flow: no flow \"\(burst.flow)\" in \(scenarioPath) (its flows: "
                    + flows.joined(separator: ", ") + ")"
        }
    }
}
