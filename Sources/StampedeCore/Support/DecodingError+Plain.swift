import Foundation

extension DecodingError {
    /// The mistake in a JSON document as a person reads it: where (`log.entries[0].startedDateTime`) and what
    /// (missing, null, the wrong type, not JSON at all), without Swift's coding keys and debug descriptions.
    public var plainDescription: String {
        switch self {
        case .keyNotFound(let key, let context):
            "\(Self.place(context.codingPath + [key])): missing"
        case .valueNotFound(let type, let context):
            "\(Self.place(context.codingPath)): expected \(Self.kind(type)), found null"
        case .typeMismatch(let type, let context):
            "\(Self.place(context.codingPath)): expected \(Self.kind(type))"
                + (context.debugDescription.range(of: "but found ").map { ", found " + Self.found(context, after: $0) }
                    ?? "")
        case .dataCorrupted(let context):
            context.codingPath.isEmpty
                ? "not valid JSON" : "\(Self.place(context.codingPath)): \(context.debugDescription)"
        @unknown default:
            "\(self)"
        }
    }

    /// Any error from decoding JSON, in words: a `DecodingError`'s plain description, any other as it describes itself.
    public static func plainDescription(of error: any Error) -> String {
        (error as? DecodingError)?.plainDescription ?? "\(error)"
    }

    /// `log.entries[0].startedDateTime` (the top level: "the document").
    static func place(_ path: [any CodingKey]) -> String {
        guard !path.isEmpty else { return "the document" }
        var text = ""
        for key in path {
            if let index = key.intValue {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + key.stringValue
            }
        }
        return text
    }

    static func kind(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is UInt64.Type, is Int32.Type, is UInt32.Type, is UInt16.Type, is UInt8.Type:
            "a whole number"
        case is Double.Type, is Float.Type: "a number"
        default:
            String(describing: type).contains("Array") ? "a list" : "an object"
        }
    }

    /// What Foundation says it found ("a string instead." → "a string").
    private static func found(_ context: Context, after marker: Range<String.Index>) -> String {
        var text = context.debugDescription[marker.upperBound...]
        if text.hasSuffix(" instead.") { text = text.dropLast(" instead.".count) }
        return String(text)
    }
}
