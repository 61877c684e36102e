import Foundation

/// A CSV table (RFC 4180: quoted fields, doubled quotes, CRLF or LF line ends; a UTF-8 BOM is ignored).
public struct CSVFile: Sendable {
    /// Column names from the first row.
    public let header: [String]
    /// Data rows; short rows are padded with empty fields.
    public let rows: [[String]]

    /// Reads `path`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CatalogError(code: .labels, message: "cannot read the CSV file", path: path)
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path)
    }

    /// Parses `text`; `path` only names the source in errors.
    public init(text: String, path: String? = nil) throws {
        var records = Self.parse(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        while let last = records.last, last.allSatisfy(\.isEmpty) { records.removeLast() }
        guard let header = records.first else {
            throw CatalogError(code: .labels, message: "the CSV file is empty", path: path)
        }
        self.header = header.map { $0.trimmingCharacters(in: .whitespaces) }
        self.rows = records.dropFirst().map { $0.count < header.count ? $0 + Array(repeating: "", count: header.count - $0.count) : $0 }
    }

    /// Index of column `name`, or an error listing the columns there are.
    public func column(_ name: String, path: String? = nil) throws -> Int {
        guard let index = header.firstIndex(of: name) else {
            throw CatalogError(code: .labels, message: "no column '\(name)'; the columns are: \(header.joined(separator: ", "))",
                               path: path)
        }
        return index
    }

    private static func parse(_ text: String) -> [[String]] {
        var records: [[String]] = [], record: [String] = [], field = ""
        var quoted = false, afterQuote = false
        var iterator = text.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.unicodeScalars.append("\"") } else { quoted = false; afterQuote = true; pending = next }
                    } else { quoted = false }
                } else { field.unicodeScalars.append(c) }
                continue
            }
            switch c {
            case "\"" where field.isEmpty && !afterQuote: quoted = true
            case ",": record.append(field); field = ""; afterQuote = false
            case "\r": continue
            case "\n": record.append(field); records.append(record); record = []; field = ""; afterQuote = false
            default: field.unicodeScalars.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        return records
    }
}
