import ArgumentParser
import StampedeCLI

@main
enum Main {
    static func main() async {
        ProcessStart.prepare()
        await CoordinatorCommand.main(ProcessStart.arguments)
    }
}
