import Foundation
import Testing

@testable import StampedeCore

/// A JSON document's mistake in words a person reads: the place as a path, and what is wrong there.
struct DecodingErrorPlainTests {
    struct Recording: Decodable {
        struct Entry: Decodable {
            var startedDateTime: String
            var time: Double
            var pages: [String]?
        }
        var entries: [Entry]
    }

    static func describe(_ json: String) -> String? {
        do {
            _ = try JSONDecoder().decode(Recording.self, from: Data(json.utf8))
            return nil
        } catch {
            return DecodingError.plainDescription(of: error)
        }
    }

    @Test func eachKindOfMistakeIsNamedAtItsPlace() {
        #expect(Self.describe(#"{"entries": [{"startedDateTime": "x", "time": 1}]}"#) == nil)
        #expect(Self.describe(#"{"entries": [{"time": 1}]}"#) == "entries[0].startedDateTime: missing")
        #expect(
            Self.describe(#"{"entries": [{"startedDateTime": "x", "time": "soon"}]}"#)
                == "entries[0].time: expected a number, found a string")
        #expect(
            Self.describe(#"{"entries": [{"startedDateTime": null, "time": 1}]}"#)
                == "entries[0].startedDateTime: expected a string, found null")
        #expect(Self.describe(#"{"entries": {}}"#)?.hasPrefix("entries: expected a list") == true)
        #expect(Self.describe("not json") == "not valid JSON")
        #expect(Self.describe("{}") == "entries: missing")
    }
}
