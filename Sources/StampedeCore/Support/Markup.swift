/// Text safe in HTML and XML (an attribute or an element): the five entities, and no control characters XML 1.0
/// forbids. One escaping for `junit.xml`, `report.html` and the reference shop's pages.
public enum Markup {
    /// Text safe in an XML attribute or element: the five entities, and no control characters XML 1.0 forbids.
    public static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t": out += "&#9;"
            default:
                if scalar.value < 0x20 || (0xFFFE...0xFFFF).contains(scalar.value) {
                    out += "?"
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
