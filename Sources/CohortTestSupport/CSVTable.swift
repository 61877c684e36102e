/// A minimal RFC 4180 reader for reference tables (quoted fields may hold commas, quotes and newlines).
public struct CSVTable {
    /// Column names from the first row.
    public let header: [String]
    /// Data rows as dictionaries keyed by column name.
    public let rows: [[String: String]]

    /// Parses `text`; rows shorter than the header get empty strings.
    public init(text: String) {
        var records: [[String]] = []
        var field = "", record: [String] = []
        var quoted = false
        var iterator = text.makeIterator()
        var pending: Character?
        while let c = pending ?? iterator.next() {
            pending = nil
            if quoted {
                if c == "\"" {
                    if let next = iterator.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(c) }
                continue
            }
            switch c {
            case "\"": quoted = true
            case ",": record.append(field); field = ""
            case "\n", "\r\n":
                record.append(field); field = ""
                records.append(record); record = []
            default: field.append(c)
            }
        }
        if !field.isEmpty || !record.isEmpty { record.append(field); records.append(record) }
        header = records.first ?? []
        let names = header
        rows = records.dropFirst().filter { !($0.count == 1 && $0[0].isEmpty) }.map { values in
            var row: [String: String] = [:]
            for (i, name) in names.enumerated() { row[name] = i < values.count ? values[i] : "" }
            return row
        }
    }
}
