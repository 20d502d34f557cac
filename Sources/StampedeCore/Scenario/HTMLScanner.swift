/// Just enough HTML for a shopper: the tags and attributes of a page, read the way browsers are lenient about them
/// (any attribute order, single, double or no quotes, any case), to find form fields (a CSRF token's hidden input)
/// and `meta` tags. Not a DOM: comments and scripts are skipped, nothing else is interpreted.
public enum HTMLScanner {
    public struct Tag: Equatable {
        /// Lower case.
        public var name: String
        /// Names in lower case, values with character references decoded.
        public var attributes: [(name: String, value: String)]

        public subscript(attribute: String) -> String? {
            attributes.first { $0.name == attribute }?.value
        }

        public static func == (lhs: Tag, rhs: Tag) -> Bool {
            lhs.name == rhs.name && lhs.attributes.elementsEqual(rhs.attributes) { $0 == $1 }
        }
    }

    /// The values of the form fields with this name: `<input name=… value=…>` (no value: empty), the text of a
    /// `<textarea>`, the selected (or first) `<option>` of a `<select>`.
    public static func formValues(named name: String, in body: [UInt8]) -> [String] {
        var values: [String] = []
        var select: (name: String, first: String?, selected: String?)? = nil
        scan(body) { tag, text in
            switch tag.name {
            case "input" where tag["name"] == name:
                values.append(tag["value"] ?? "")
            case "textarea" where tag["name"] == name:
                values.append(decode(text()))
            case "select":
                select = (tag["name"] ?? "", nil, nil)
            case "option":
                if let current = select, current.name == name {
                    let value = tag["value"] ?? decode(text()).trimmingWhitespaceString
                    select = (current.name, current.first ?? value, tag["selected"] != nil ? value : current.selected)
                }
            case "/select":
                if let current = select, current.name == name, let value = current.selected ?? current.first {
                    values.append(value)
                }
                select = nil
            default:
                break
            }
        }
        return values
    }

    /// The `content` of `<meta name=…>` or `<meta property=…>` tags with this name.
    public static func metaContents(named name: String, in body: [UInt8]) -> [String] {
        var values: [String] = []
        scan(body) { tag, _ in
            if tag.name == "meta", tag["name"] == name || tag["property"] == name, let content = tag["content"] {
                values.append(content)
            }
        }
        return values
    }

    /// Every `href` of `<a>` and `action` of `<form>`, in order (for following links in a page).
    public static func links(in body: [UInt8]) -> [String] {
        var links: [String] = []
        scan(body) { tag, _ in
            if tag.name == "a", let href = tag["href"] { links.append(href) }
            if tag.name == "form", let action = tag["action"] { links.append(action) }
        }
        return links
    }

    /// Calls `visit` with every start and end tag (end tags named `/name`); `text()` gives the raw text up to the
    /// next tag.
    public static func scan(_ body: [UInt8], _ visit: (Tag, () -> String) -> Void) {
        var position = 0
        let count = body.count
        func skip(past marker: String) {
            let needle = Array(marker.utf8)
            while position < count {
                if body[position] == needle[0], position + needle.count <= count,
                    Array(body[position..<position + needle.count]) == needle
                {
                    position += needle.count
                    return
                }
                position += 1
            }
        }
        while position < count {
            guard body[position] == UInt8(ascii: "<") else {
                position += 1
                continue
            }
            position += 1
            if position + 2 < count, body[position] == UInt8(ascii: "!"), body[position + 1] == UInt8(ascii: "-"),
                body[position + 2] == UInt8(ascii: "-")
            {
                skip(past: "-->")
                continue
            }
            var name = ""
            if position < count, body[position] == UInt8(ascii: "/") {
                name = "/"
                position += 1
            }
            while position < count, isNameByte(body[position]) {
                name.unicodeScalars.append(Unicode.Scalar(lowercase(body[position])))
                position += 1
            }
            guard name != "" && name != "/" else { continue }
            var attributes: [(String, String)] = []
            while position < count, body[position] != UInt8(ascii: ">") {
                let byte = body[position]
                if isSpace(byte) || byte == UInt8(ascii: "/") {
                    position += 1
                    continue
                }
                var attribute = ""
                while position < count, !isSpace(body[position]), body[position] != UInt8(ascii: "="),
                    body[position] != UInt8(ascii: ">"), body[position] != UInt8(ascii: "/")
                {
                    attribute.unicodeScalars.append(Unicode.Scalar(lowercase(body[position])))
                    position += 1
                }
                while position < count, isSpace(body[position]) { position += 1 }
                var value = ""
                if position < count, body[position] == UInt8(ascii: "=") {
                    position += 1
                    while position < count, isSpace(body[position]) { position += 1 }
                    if position < count, body[position] == UInt8(ascii: "\"") || body[position] == UInt8(ascii: "'") {
                        let quote = body[position]
                        position += 1
                        let start = position
                        while position < count, body[position] != quote { position += 1 }
                        value = String(decoding: body[start..<min(position, count)], as: UTF8.self)
                        position += 1
                    } else {
                        let start = position
                        while position < count, !isSpace(body[position]), body[position] != UInt8(ascii: ">") {
                            position += 1
                        }
                        value = String(decoding: body[start..<position], as: UTF8.self)
                    }
                }
                if !attribute.isEmpty { attributes.append((attribute, decode(value))) }
            }
            position += 1
            let textStart = position
            visit(Tag(name: name, attributes: attributes)) {
                var end = textStart
                while end < count, body[end] != UInt8(ascii: "<") { end += 1 }
                return String(decoding: body[textStart..<end], as: UTF8.self)
            }
            if name == "script" || name == "style" { skip(past: "</\(name)") }
        }
    }

    /// Decodes character references: `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&#39;`, `&#x27;`.
    public static func decode(_ text: String) -> String {
        guard text.contains("&") else { return text }
        var out = ""
        var rest = Substring(text)
        while let ampersand = rest.firstIndex(of: "&") {
            out += rest[..<ampersand]
            let after = rest[rest.index(after: ampersand)...]
            guard let semicolon = after.firstIndex(of: ";"), after.distance(from: after.startIndex, to: semicolon) <= 8
            else {
                out += "&"
                rest = after
                continue
            }
            let entity = after[..<semicolon]
            var scalar: Unicode.Scalar? = nil
            switch entity {
            case "amp": scalar = "&"
            case "lt": scalar = "<"
            case "gt": scalar = ">"
            case "quot": scalar = "\""
            case "apos": scalar = "'"
            case "nbsp": scalar = "\u{A0}"
            default:
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") {
                    scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init)
                } else if entity.hasPrefix("#") {
                    scalar = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init)
                }
            }
            if let scalar {
                out.unicodeScalars.append(scalar)
                rest = after[after.index(after: semicolon)...]
            } else {
                out += "&"
                rest = after
            }
        }
        return out + rest
    }

    static func isNameByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
    }

    static func isSpace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D || byte == 0x0C
    }

    static func lowercase(_ byte: UInt8) -> UInt8 {
        byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
    }
}

extension String {
    var trimmingWhitespaceString: String { String(trimmingWhitespace()) }
}
