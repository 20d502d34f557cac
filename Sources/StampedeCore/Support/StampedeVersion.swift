/// The version Stampede names itself by: in a worker's hello and in the shoppers' user agent.
public enum StampedeVersion {
    public static let current = "stampede/0.3"
}
