import StampedeProcess

/// What every Stampede executable does first, before it starts a thread or opens a connection.
public enum ProcessStart {
    public static func prepare() {
        Console.lineBuffered()
        // Its children (the workers `stampede run` starts) inherit the raised limit.
        FileLimit.raiseSoftToHard()
    }
}
