public import StampedeCore

/// Checks that a profile and a scenario fit together: every burst follows a flow the scenario has.
public enum RunConsistency {
    public static func problems(
        profile: Profile, profilePath: String, scenario: Scenario, scenarioPath: String
    ) -> [String] {
        let flows = scenario.flows.map(\.name)
        let bursts = profile.bursts.enumerated().compactMap { index, burst in
            flows.contains(burst.flow)
                ? nil
                : "\(profilePath): bursts[\(index)].flow: no flow \"\(burst.flow)\" in \(scenarioPath) (its flows: "
                    + flows.joined(separator: ", ") + ")"
        }
        var weights: [String] = []
        if !scenario.flows.contains(where: { $0.weight > 0 }) {
            let levels: [Double]
            switch profile.shape {
            case .hourly(let hours): levels = hours
            case .stages(let stages): levels = stages.flatMap { [$0.from ?? 0, $0.to] }
            }
            if levels.contains(where: { $0 > 0 }) {
                weights.append(
                    "\(scenarioPath): flows: every flow has weight 0 (only bursts play them), but \(profilePath) "
                        + "brings shoppers between its bursts too: give a flow a weight, or make the profile "
                        + "burst-only (every level 0)")
            }
        }
        return bursts + weights
            + thresholdProblems(scenario.thresholds ?? [], profile: profile, profilePath: profilePath)
            .map { "\(scenarioPath): thresholds: \($0)" }
    }

    /// Periods and bursts the thresholds name that the profile does not have (flows and steps are checked with the
    /// scenario, where they are).
    public static func thresholdProblems(_ thresholds: [Threshold], profile: Profile, profilePath: String) -> [String] {
        let periods = profile.periods.map(\.label)
        let bursts = profile.bursts.map(\.label)
        return thresholds.compactMap { threshold in
            let scope: Threshold.Scope
            switch threshold.metric {
            case .latency(_, _, _, let chosen), .errorRate(_, let chosen), .rate(_, _, let chosen),
                .dropped(let chosen):
                scope = chosen
            default: return nil
            }
            switch scope {
            case .run: return nil
            case .period(let label):
                return periods.contains(label)
                    ? nil
                    : "\(threshold.source): \(profilePath) has no hour or stage \"\(label)\" (periods: "
                        + periods.prefix(30).joined(separator: ", ") + ")"
            case .burst(let label):
                return bursts.contains(label)
                    ? nil
                    : "\(threshold.source): \(profilePath) has no burst \"\(label)\" (bursts: "
                        + (bursts.isEmpty ? "none" : bursts.joined(separator: ", ")) + ")"
            }
        }
    }
}
