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
}
