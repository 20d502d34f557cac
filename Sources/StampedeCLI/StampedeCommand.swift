public import ArgumentParser
import StampedeCore

/// `stampede`: every command in one executable.
public struct StampedeCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "stampede",
        abstract: "Flash-sale load rehearsals: open-model shoppers, honest latency, oversell and payment checks.",
        discussion: ExitStatus.table,
        version: StampedeVersion.number,
        subcommands: [
            RunCommand.self, CoordinatorCommand.self, WorkerCommand.self, ValidateCommand.self, ShopCommand.self,
            PaymentsCommand.self, ReportCommand.self, CompareCommand.self, ScenarioCommand.self, ProfileCommand.self,
            PlanCommand.self, SearchCommand.self,
            BenchHTTPCommand.self, SwarmCommand.self,
        ])

    public init() {}
}
