import Foundation
import StampedeConfig
import StampedeProcess

/// What every Stampede executable does first, before it starts a thread or opens a connection.
public enum ProcessStart {
    public static func prepare() {
        Console.lineBuffered()
        // Its children (the workers `stampede run` starts) inherit the raised limit.
        FileLimit.raiseSoftToHard()
    }

    /// The command line after the executable's name, for the command's `main`: a negative value stays with its
    /// option (`NegativeValues`).
    public static var arguments: [String] { NegativeValues.attached(Array(CommandLine.arguments.dropFirst())) }

    /// The name a command goes by in its usage and errors: `stampede-worker` when this executable is that one,
    /// `worker` under `stampede` (`Usage: worker …` sent a user of `stampede-worker` looking for a `worker`).
    static func commandName(_ subcommand: String) -> String {
        let executable = CommandLine.arguments.first.map { ($0 as NSString).lastPathComponent } ?? ""
        return executable == "stampede-" + subcommand ? executable : subcommand
    }
}
