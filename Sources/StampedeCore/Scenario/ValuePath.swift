/// A path into a JSON document: `$.order.id`, `items[0].sku`, `id`.
public struct ValuePath: Codable, Sendable, Equatable, CustomStringConvertible {
    public enum Component: Codable, Sendable, Equatable {
        case key(String)
        case index(Int)
    }

    public let components: [Component]
    public let source: String

    public init(parsing source: String) throws(TemplateError) {
        var text = Substring(source.trimmingWhitespace())
        if text.hasPrefix("$") { text = text.dropFirst() }
        if text.hasPrefix(".") { text = text.dropFirst() }
        var components: [Component] = []
        var key = ""
        var index = text.startIndex
        func flushKey() throws(TemplateError) {
            guard !key.isEmpty else { throw TemplateError(message: "expected a key in the path \"\(source)\"") }
            components.append(.key(key))
            key = ""
        }
        while index < text.endIndex {
            let character = text[index]
            switch character {
            case ".":
                // After [N] a dot only separates; anywhere else it ends a key, which must not be empty.
                if case .index? = components.last, key.isEmpty {
                } else {
                    try flushKey()
                }
            case "[":
                if !key.isEmpty { try flushKey() }
                guard let close = text[index...].firstIndex(of: "]"),
                    let number = Int(text[text.index(after: index)..<close]), number >= 0
                else { throw TemplateError(message: "expected [N] with a number N ≥ 0 in the path \"\(source)\"") }
                components.append(.index(number))
                index = close
            default:
                key.append(character)
            }
            index = text.index(after: index)
        }
        if !key.isEmpty { components.append(.key(key)) }
        guard !components.isEmpty else {
            throw TemplateError(message: "expected a path such as $.id, found \"\(source)\"")
        }
        self.components = components
        self.source = source
    }

    public var description: String { source }

    /// The value at this path in a JSON document, as text (strings unescaped, numbers as written, true/false);
    /// nil when the body is not JSON or the path leads nowhere or to null, an object or an array.
    public func extract(fromJSON body: some Collection<UInt8>) -> String? {
        JSONValue(parsing: Array(body))?.value(at: self)?.scalarText
    }
}
