/// Stampede's version: in the user agent, the workers' hello, `stampede --version` and the image's tag.
public enum StampedeVersion {
    public static let number = "0.4.0"
    public static let current = "stampede/\(number)"
}
