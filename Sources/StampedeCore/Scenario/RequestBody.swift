/// A step's request body: structured JSON with typed values, an HTML form (URL-encoded), multipart form data, or
/// raw text written as it is.
public enum RequestBody: Codable, Sendable, Equatable {
    case json(JSONTemplate)
    /// `application/x-www-form-urlencoded`, each name and value percent-encoded.
    case form([FormField])
    /// `multipart/form-data`.
    case multipart([MultipartPart])
    /// Text with placeholders, untouched (its content type is the step's).
    case raw(Template)

    public struct FormField: Codable, Sendable, Equatable {
        public var name: String
        public var value: Template

        public init(name: String, value: Template) {
            self.name = name
            self.value = value
        }
    }

    public struct MultipartPart: Codable, Sendable, Equatable {
        public var name: String
        public var value: Template
        /// Sent as a file of this name.
        public var filename: String?
        public var contentType: String?

        public init(name: String, value: Template, filename: String? = nil, contentType: String? = nil) {
            self.name = name
            self.value = value
            self.filename = filename
            self.contentType = contentType
        }
    }

    /// The boundary between multipart parts (a part that holds it is refused when rendered).
    public static let boundary = "stampede-part-7c1f0e2a9b"

    /// The content type this kind of body is sent with unless the step says otherwise.
    public var contentType: String? {
        switch self {
        case .json: "application/json"
        case .form: "application/x-www-form-urlencoded"
        case .multipart: "multipart/form-data; boundary=\(Self.boundary)"
        case .raw: nil
        }
    }

    /// Every template in the body.
    public var templates: [Template] {
        switch self {
        case .json(let json): json.templates
        case .form(let fields): fields.map(\.value)
        case .multipart(let parts): parts.map(\.value)
        case .raw(let template): [template]
        }
    }

    /// The body's bytes as text.
    public func render(_ lookup: (String) -> VariableValue?) -> (text: String, problem: Template.Problem?) {
        switch self {
        case .json(let json):
            var out = ""
            var problem: Template.Problem? = nil
            json.write(to: &out, problem: &problem, lookup)
            return (out, problem)
        case .form(let fields):
            var problem: Template.Problem? = nil
            let pairs = fields.map { field in
                let (value, failure) = field.value.render(lookup)
                problem = problem ?? failure
                return Self.formEncode(field.name) + "=" + Self.formEncode(value)
            }
            return (pairs.joined(separator: "&"), problem)
        case .multipart(let parts):
            var out = ""
            var problem: Template.Problem? = nil
            for part in parts {
                let (value, failure) = part.value.render(lookup)
                problem = problem ?? failure
                out += "--\(Self.boundary)\r\nContent-Disposition: form-data; name=\"\(Self.quotable(part.name))\""
                if let filename = part.filename { out += "; filename=\"\(Self.quotable(filename))\"" }
                out += "\r\n"
                if let contentType = part.contentType { out += "Content-Type: \(contentType)\r\n" }
                out += "\r\n\(value)\r\n"
            }
            return (out + "--\(Self.boundary)--\r\n", problem)
        case .raw(let template):
            return template.render(lookup)
        }
    }

    /// A part's name or file name inside the quotes of its `Content-Disposition`, as browsers write it (WHATWG
    /// HTML, multipart/form-data): `"` as `%22`, CR and LF as `%0D` and `%0A`. A quote ended the name early.
    static func quotable(_ text: String) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\"") || $0 == 0x0D || $0 == 0x0A }) else { return text }
        return text.unicodeScalars.reduce(into: "") { out, scalar in
            if let escape = dispositionEscapes[scalar] { out += escape } else { out.unicodeScalars.append(scalar) }
        }
    }

    private static let dispositionEscapes: [Unicode.Scalar: String] = ["\"": "%22", "\r": "%0D", "\n": "%0A"]

    /// `application/x-www-form-urlencoded` (the WHATWG serializer): unreserved bytes and `*` as they are, space as
    /// `+`, everything else percent-encoded.
    public static func formEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if Template.isUnreserved(byte) || byte == UInt8(ascii: "*") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else if byte == UInt8(ascii: " ") {
                out += "+"
            } else {
                out +=
                    "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }
}

/// A JSON body written in YAML: its strings may hold placeholders. A string that is one placeholder takes the
/// value's own type (a number taken from a response stays a number, `{{qty|int}}` becomes one, a list an array);
/// any other string is a JSON string.
public indirect enum JSONTemplate: Codable, Sendable, Equatable {
    case object([Member])
    case array([JSONTemplate])
    case string(Template)
    /// A number, true, false or null as written.
    case literal(String)

    public struct Member: Codable, Sendable, Equatable {
        public var key: String
        public var value: JSONTemplate

        public init(key: String, value: JSONTemplate) {
            self.key = key
            self.value = value
        }
    }

    public var templates: [Template] {
        switch self {
        case .object(let members): members.flatMap(\.value.templates)
        case .array(let elements): elements.flatMap(\.templates)
        case .string(let template): [template]
        case .literal: []
        }
    }

    func write(to out: inout String, problem: inout Template.Problem?, _ lookup: (String) -> VariableValue?) {
        switch self {
        case .object(let members):
            out += "{"
            for (index, member) in members.enumerated() {
                if index > 0 { out += "," }
                out += VariableValue.text(member.key).json + ":"
                member.value.write(to: &out, problem: &problem, lookup)
            }
            out += "}"
        case .array(let elements):
            out += "["
            for (index, element) in elements.enumerated() {
                if index > 0 { out += "," }
                element.write(to: &out, problem: &problem, lookup)
            }
            out += "]"
        case .literal(let text):
            out += text
        case .string(let template):
            if let (name, filters) = template.solePlaceholder {
                switch Template.value(name, filters: filters, lookup) {
                case .success(let value): out += value.json
                case .failure(let failure):
                    problem = problem ?? failure
                    out += "null"
                }
                return
            }
            let (text, failure) = template.render(escaping: .json, literals: .json, lookup)
            problem = problem ?? failure
            out += "\"" + text + "\""
        }
    }
}
