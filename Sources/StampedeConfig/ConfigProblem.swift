/// One thing wrong with a configuration file, located by line, column and YAML path.
public struct ConfigProblem: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int
    /// The YAML path of the value, e.g. `hours[3].weight`; empty for the document itself.
    public var path: String
    /// What was expected, and what was found.
    public var message: String

    public init(file: String, line: Int, column: Int, path: String, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.path = path
        self.message = message
    }

    /// `double11.yaml:14:5: hours[3].weight: expected a number ≥ 0, found "high"`
    public var description: String {
        "\(file):\(line):\(column): \(path.isEmpty ? "" : "\(path): ")\(message)"
    }
}

/// Every problem found in one or more configuration files.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var problems: [ConfigProblem]

    public init(problems: [ConfigProblem]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
