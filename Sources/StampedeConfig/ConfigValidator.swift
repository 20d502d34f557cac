import Yams

/// Validates a file as a profile or a scenario, whichever it is (a document with `flows` is a scenario).
public enum ConfigValidator {
    public static func validate(path: String) -> [ConfigProblem] {
        let (text, problem) = ConfigDocument.read(path: path)
        guard let text else { return [problem!] }
        let log = ProblemLog(file: path)
        let root = ConfigDocument.compose(text, log: log)
        guard log.problems.isEmpty else { return log.problems }
        do {
            if (root.flatMap(Kind.of) ?? (path.contains("scenario") ? .scenario : .profile)) == .scenario {
                _ = try ScenarioLoader.parse(text, file: path)
            } else {
                _ = try ProfileLoader.parse(text, file: path)
            }
            return []
        } catch {
            return error.problems
        }
    }

    /// What a file is, by its top-level fields: a scenario has flows, a profile hours or stages.
    public enum Kind: Equatable, Sendable {
        case profile, scenario

        static func of(_ root: Node) -> Kind? {
            guard case .mapping(let mapping) = root else { return nil }
            let keys = Set(mapping.keys.compactMap(\.string))
            if keys.contains("flows") { return .scenario }
            return keys.contains("hours") || keys.contains("stages") ? .profile : nil
        }

        /// The kind of the file at `path`; nil when it cannot be read or told.
        public static func of(path: String) -> Kind? {
            guard let text = ConfigDocument.read(path: path).text else { return nil }
            return ConfigDocument.compose(text, log: ProblemLog(file: path)).flatMap(of)
        }
    }

    /// A scenario given as `--profile`, or a profile as `--scenario`, in a line each: loaded as the other kind, it
    /// was a page of "unknown field". Empty when each is what it is given as (or cannot be told).
    public static func misplaced(profile: String?, scenario: String?) -> [String] {
        let swapped = profile.map { Kind.of(path: $0) == .scenario } ?? false
        let other = scenario.map { Kind.of(path: $0) == .profile } ?? false
        var found: [String] = []
        if swapped, let profile { found.append("\(profile): given as --profile, it is a scenario (it has flows)") }
        if other, let scenario {
            found.append("\(scenario): given as --scenario, it is a profile (it has hours or stages and no flows)")
        }
        if swapped && other { found.append("--profile and --scenario are the other way round") }
        return found
    }

    /// A profile and a scenario as `stampede run` would play them: each file alone, then whether they fit together
    /// (each burst's flow, the weights, `{{sku}}` between bursts, the periods and bursts the thresholds name).
    /// Empty when they fit.
    public static func validate(profile profilePath: String, scenario scenarioPath: String) -> [String] {
        let misplaced = misplaced(profile: profilePath, scenario: scenarioPath)
        guard misplaced.isEmpty else { return misplaced }
        let alone = (validate(path: profilePath) + validate(path: scenarioPath)).map(\.description)
        guard alone.isEmpty else { return alone }
        do {
            let profile = try ProfileLoader.load(path: profilePath)
            let scenario = try ScenarioLoader.load(path: scenarioPath)
            return RunConsistency.problems(
                profile: profile, profilePath: profilePath, scenario: scenario, scenarioPath: scenarioPath)
        } catch {
            return error.problems.map(\.description)
        }
    }
}
