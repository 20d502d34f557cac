public import ArgumentParser
import StampedeConfig

public struct ValidateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "validate", abstract: "Check profiles and scenarios; print every problem with file:line:column.")

    @Argument(help: "Profile or scenario files.") var files: [String]

    public init() {}

    public func run() throws {
        var problems = 0
        for file in files {
            let found = ConfigValidator.validate(path: file)
            for problem in found { print(problem) }
            if found.isEmpty { print("\(file): ok") }
            problems += found.count
        }
        if problems > 0 {
            print("\(problems) problem\(problems == 1 ? "" : "s") found")
            throw ExitCode(ExitStatus.usage.rawValue)
        }
    }
}
