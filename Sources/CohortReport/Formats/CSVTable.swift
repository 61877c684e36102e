/// A table for CSV and LaTeX output: a header and rows of cells.
public struct Table: Sendable, Equatable {
    /// One cell: text from data (escaped and guarded) or a number (written as formatted).
    public enum Cell: Sendable, Equatable {
        case text(String)
        case number(Double, digits: Int)
        case integer(Int)

        var plain: String {
            switch self {
            case .text(let t): return t
            case let .number(v, digits): return Format.fixed(v, digits)
            case .integer(let i): return String(i)
            }
        }
    }

    public var title: String
    public var header: [String]
    public var rows: [[Cell]]

    public init(title: String, header: [String], rows: [[Cell]]) {
        self.title = title
        self.header = header
        self.rows = rows
    }

    /// RFC 4180 CSV, LF line ends; text cells guarded against formula injection, numbers written plainly.
    public var csv: String {
        var lines = [header.map(Escaping.csvText).joined(separator: ",")]
        for row in rows {
            lines.append(row.map { cell -> String in
                if case .text(let t) = cell { return Escaping.csvText(t) }
                return cell.plain
            }.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// A booktabs LaTeX table (needs `\usepackage{booktabs}`): text left-aligned, numbers right-aligned.
    public var latex: String {
        let alignment = (rows.first ?? []).map { cell -> String in
            if case .text = cell { return "l" }
            return "r"
        }.joined()
        var out = "\\begin{table}[ht]\n\\centering\n\\caption{\(Escaping.latex(title))}\n"
        out += "\\begin{tabular}{\(alignment.isEmpty ? String(repeating: "l", count: header.count) : alignment)}\n\\toprule\n"
        out += header.map(Escaping.latex).joined(separator: " & ") + " \\\\\n\\midrule\n"
        for row in rows { out += row.map { Escaping.latex($0.plain) }.joined(separator: " & ") + " \\\\\n" }
        out += "\\bottomrule\n\\end{tabular}\n\\end{table}\n"
        return out
    }

    /// An HTML table (all text escaped).
    public var html: String {
        var out = "<table><thead><tr>" + header.map { "<th>\(Escaping.html($0))</th>" }.joined() + "</tr></thead><tbody>\n"
        for row in rows {
            out += "<tr>" + row.map { cell -> String in
                if case .text(let t) = cell { return "<td>\(Escaping.html(t))</td>" }
                return "<td class=\"n\">\(Escaping.html(cell.plain))</td>"
            }.joined() + "</tr>\n"
        }
        return out + "</tbody></table>"
    }
}
