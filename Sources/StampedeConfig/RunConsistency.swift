public import StampedeCore

/// Checks that a profile and a scenario fit together: every burst follows a flow the scenario has, and the shoppers
/// between bursts have what their flows need.
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
        let between = bringsShoppersBetweenBursts(profile)
        var weights: [String] = []
        if !scenario.flows.contains(where: { $0.weight > 0 }), between {
            weights.append(
                "\(scenarioPath): flows: every flow has weight 0 (only bursts play them), but \(profilePath) "
                    + "brings shoppers between its bursts too: give a flow a weight, or make the profile "
                    + "burst-only (every level 0)")
        }
        let faults = (scenario.drill?.faultsOutside(ProfileWindow(start: 0, end: profile.length)) ?? [])
            .map { "\(scenarioPath): \($0)" }
        return bursts + weights + faults
            + (between
                ? burstVariablesMissed(
                    scenario, profile: profile, scenarioPath: scenarioPath, profilePath: profilePath) : [])
            + thresholdProblems(scenario.thresholds ?? [], profile: profile, profilePath: profilePath)
            .map { "\(scenarioPath): thresholds: \($0)" }
    }

    /// Whether the profile brings shoppers outside its bursts (some level above 0), who play the weighted flows.
    static func bringsShoppersBetweenBursts(_ profile: Profile) -> Bool {
        switch profile.shape {
        case .hourly(let hours): hours.contains { $0 > 0 }
        case .stages(let stages): stages.contains { ($0.from ?? 0) > 0 || $0.to > 0 }
        }
    }

    /// Weighted flows that use `{{sku}}`, which only a burst gives its crowd, before anything else gives it a value:
    /// every shopper of theirs outside a burst would fail there ("the variable sku has no value").
    static func burstVariablesMissed(
        _ scenario: Scenario, profile: Profile, scenarioPath: String, profilePath: String
    ) -> [String] {
        let given = Set(scenario.data.map(\.name))
        return Scenario.burstVariables.filter { !given.contains($0) }.flatMap { variable in
            scenario.flows.enumerated().compactMap { index, flow -> String? in
                guard flow.weight > 0, let step = flow.firstStep(needingUnset: variable) else { return nil }
                let problem =
                    "\(scenarioPath): flows[\(index)] (\(flow.name)): the step \(step.name) uses {{\(variable)}} before "
                    + "anything gives it a value (no data list \(variable), no step before it extracts one); "
                return problem
                    + (profile.bursts.isEmpty
                        ? "\(profilePath) has no bursts, which give their crowd one: every \(flow.name) shopper would "
                            + "fail there. Give every shopper one (data: {\(variable): [...]})"
                        : "only a burst gives its crowd one, and \(profilePath) brings \(flow.name) shoppers between "
                            + "its bursts too: each of them would fail there. Give every shopper one (data: "
                            + "{\(variable): [...]}), or give the flow weight 0 (only bursts play it)")
            }
        }
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
