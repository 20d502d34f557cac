import ArgumentParser

@main
struct Stampede: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Flash-sale load rehearsals: open-model shoppers, honest latency, oversell and payment checks.",
        subcommands: [RunCommand.self, ValidateCommand.self, ShopCommand.self, ReportCommand.self])
}
