import Yams

/// Validates a file as a profile or a scenario, whichever it is (a document with `flows` is a scenario).
public enum ConfigValidator {
    public static func validate(path: String) -> [ConfigProblem] {
        let (text, problem) = ConfigDocument.read(path: path)
        guard let text else { return [problem!] }
        let log = ProblemLog(file: path)
        let root = ConfigDocument.compose(text, log: log)
        guard log.problems.isEmpty else { return log.problems }
        var isScenario = path.contains("scenario")
        if case .mapping(let mapping)? = root {
            isScenario = mapping.contains { $0.key.string == "flows" }
        }
        do {
            if isScenario {
                _ = try ScenarioLoader.parse(text, file: path)
            } else {
                _ = try ProfileLoader.parse(text, file: path)
            }
            return []
        } catch {
            return error.problems
        }
    }

    /// A profile and a scenario as `stampede run` would play them: each file alone, then whether they fit together
    /// (each burst's flow, the weights, `{{sku}}` between bursts, the periods and bursts the thresholds name).
    /// Empty when they fit.
    public static func validate(profile profilePath: String, scenario scenarioPath: String) -> [String] {
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
