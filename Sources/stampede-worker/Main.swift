import ArgumentParser
import StampedeCLI

@main
enum Main {
    static func main() async {
        Console.lineBuffered()
        await WorkerCommand.main()
    }
}
