/// Why the coordinator could not prepare the target for a run (a setup request failed, a drill channel cannot be
/// reset): the run does not start, since a rehearsal against a target in an unknown state proves nothing.
public struct VerifyError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
