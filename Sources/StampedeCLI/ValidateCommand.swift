public import ArgumentParser
import StampedeConfig

public struct ValidateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check profiles and scenarios; print every problem with file:line:column.",
        discussion: """
            Each file is checked alone. With --profile and --scenario, the pair is also checked as `stampede run` \
            would play it: every burst's flow is in the scenario, a flow that needs {{sku}} gets one, and the \
            periods and bursts the thresholds name are in the profile. One of them alone is checked as a file.
            """)

    @Argument(help: "Profile or scenario files.") var files: [String] = []
    @Option(help: "A profile to check together with --scenario.") var profile: String?
    @Option(help: "A scenario to check together with --profile.") var scenario: String?

    public init() {}

    public func validate() throws {
        if files.isEmpty && profile == nil && scenario == nil {
            throw ValidationError("give the files to check, or --profile and --scenario")
        }
    }

    public func run() throws {
        var problems = 0
        // `stampede validate --scenario s.yaml` was refused ("go together"): as `stampede run` takes it, it is a
        // scenario to check.
        let alone = (profile != nil) != (scenario != nil) ? [profile, scenario].compactMap { $0 } : []
        for file in files + alone {
            let found = ConfigValidator.validate(path: file)
            for problem in found { print(problem) }
            if found.isEmpty { print("\(file): ok") }
            problems += found.count
        }
        if let profile, let scenario {
            let found = ConfigValidator.validate(profile: profile, scenario: scenario)
            for problem in found { print(problem) }
            if found.isEmpty { print("\(profile) with \(scenario): ok, they fit together") }
            problems += found.count
        }
        if problems > 0 {
            print("\(problems) problem\(problems == 1 ? "" : "s") found")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
    }
}
