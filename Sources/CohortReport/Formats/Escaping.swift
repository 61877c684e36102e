import Foundation

/// Escaping for every format a report writes. Strings from data (labels, file names, model names) always pass
/// through here.
public enum Escaping {
    /// Text safe inside HTML and SVG elements and attribute values.
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    /// A CSV field (RFC 4180 quoting) that spreadsheets will not run: text starting with `=`, `+`, `-`, `@`,
    /// tab or carriage return gets a leading apostrophe (OWASP's CSV injection advice).
    public static func csvText(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+-@\t\r".contains(first) { value = "'" + value }
        if value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) || value != value.trimmingCharacters(in: .whitespaces) {
            return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        }
        return value
    }

    /// Text safe in LaTeX (special characters escaped).
    public static func latex(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "\\": out += "\\textbackslash{}"
            case "&", "%", "$", "#", "_", "{", "}": out += "\\" + String(c)
            case "~": out += "\\textasciitilde{}"
            case "^": out += "\\textasciicircum{}"
            default: out.append(c)
            }
        }
        return out
    }
}

/// Fixed number formatting, so reports are byte-identical from run to run and machine to machine.
public enum Format {
    /// `value` with `digits` decimals (`NaN` shown as `n/a`).
    public static func fixed(_ value: Double, _ digits: Int = 3) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "inf" : "-inf") }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (abs(value) * scale).rounded() / scale
        let negative = value < 0 && rounded != 0
        let whole = Int(rounded.rounded(.down))
        var fraction = Int(((rounded - Double(whole)) * scale).rounded())
        var wholePart = whole
        if fraction >= Int(scale) { wholePart += 1; fraction -= Int(scale) }
        var text = String(wholePart)
        if digits > 0 {
            var f = String(fraction)
            while f.count < digits { f = "0" + f }
            text += "." + f
        }
        return (negative ? "-" : "") + text
    }
}
