public import Foundation

/// The parts of an HTTP Archive (HAR 1.2, as Chrome, Firefox and Chromium's DevTools write it) a scenario draft
/// needs. Unknown fields are ignored; missing optional ones are empty.
public struct HARFile: Decodable, Sendable {
    public var log: Log

    public struct Log: Decodable, Sendable {
        public var entries: [Entry]
    }

    public struct Entry: Decodable, Sendable {
        public var startedDateTime: String
        /// Milliseconds the exchange took.
        public var time: Double
        public var request: Request
        public var response: Response
        /// Chrome's guess of what the request was for ("document", "xhr", "fetch", "stylesheet", "image", …).
        public var resourceType: String?
        /// Chrome's "memory" or "disk" when the browser's cache answered: the request never reached the server.
        public var fromCache: String?
        /// Chrome's reason a request got no answer (status 0): "net::ERR_ABORTED", "net::ERR_BLOCKED_BY_CLIENT", …
        public var error: String?

        enum CodingKeys: String, CodingKey {
            case startedDateTime, time, request, response
            case resourceType = "_resourceType"
            case fromCache = "_fromCache"
            case error = "_error"
        }

        /// Seconds since 1970 when the request started.
        public var started: Double? { HARFile.parseDate(startedDateTime) }
    }

    public struct NameValue: Decodable, Sendable, Equatable {
        public var name: String
        public var value: String

        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public struct Request: Decodable, Sendable {
        public var method: String
        public var url: String
        public var headers: [NameValue]
        public var postData: PostData?
    }

    public struct PostData: Decodable, Sendable {
        public var mimeType: String?
        public var text: String?
        public var params: [NameValue]?
    }

    public struct Response: Decodable, Sendable {
        public var status: Int
        public var headers: [NameValue]
        public var content: Content
        public var redirectURL: String?

        /// The body as text (base64 decoded when the archive encoded it).
        public var text: String {
            guard let text = content.text else { return "" }
            if content.encoding == "base64", let data = Data(base64Encoded: text) {
                return String(decoding: data, as: UTF8.self)
            }
            return text
        }

        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }
    }

    public struct Content: Decodable, Sendable {
        public var mimeType: String?
        public var text: String?
        public var encoding: String?
    }

    public static func decode(_ data: Data) throws -> HARFile {
        try JSONDecoder().decode(HARFile.self, from: data)
    }

    static func parseDate(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.date(from: text)?.timeIntervalSince1970
    }
}
