import CohortCatalog
import Foundation

/// One model's predictions: per sample an id, the true class and a score per class.
public struct Predictions: Sendable {
    public var name: String
    public var ids: [String]
    /// Class index of each sample's true label.
    public var labels: [Int]
    /// Class names; for binary problems `[negative, positive]`.
    public var classes: [String]
    /// `scores[i][k]`: sample i's score for class k (binary: `[1 - p, p]`).
    public var scores: [[Double]]
    /// The file the predictions came from and its SHA-256 (provenance).
    public var source: String?, sourceSha256: String?

    public var isBinary: Bool { classes.count == 2 }
    /// Positive-class scores of a binary problem.
    public var positiveScores: [Double] { scores.map { $0[1] } }

    public init(name: String, ids: [String], labels: [Int], classes: [String], scores: [[Double]]) {
        self.name = name
        self.ids = ids
        self.labels = labels
        self.classes = classes
        self.scores = scores
    }
}

/// How to read a predictions CSV.
public struct PredictionColumns: Sendable {
    public var label = "label"
    /// Binary: one score column (probability of `positive`).
    public var score: String?
    /// Multi-class: one probability column per class, named `prefix + class` or listed.
    public var probabilities: [String] = []
    /// The positive label value of a binary problem (default: `1`).
    public var positive: String?
    /// Sample id column (to align several models); default `id` when present, else row order.
    public var id: String?

    public init() {}
}

extension Predictions {
    /// Reads a predictions CSV. Errors name the file, the column and the line.
    public static func load(csv path: String, name: String, columns: PredictionColumns) throws -> Predictions {
        let table = try CSVFile(path: path)
        func index(_ column: String) throws -> Int {
            guard let i = table.header.firstIndex(of: column) else {
                throw ReportError(code: .input, message: "no column '\(column)'; the columns are \(table.header.joined(separator: ", "))", path: path)
            }
            return i
        }
        let labelIndex = try index(columns.label)
        let idIndex = try columns.id.map(index) ?? table.header.firstIndex(of: "id")
        var ids: [String] = [], labels: [Int] = [], scores: [[Double]] = []
        func number(_ text: String, line: Int, column: String) throws -> Double {
            guard let v = Double(text.trimmingCharacters(in: .whitespaces)), v.isFinite else {
                throw ReportError(code: .input, message: "line \(line): '\(text)' in column \(column) is not a number", path: path)
            }
            return v
        }
        var classes: [String]
        if let scoreColumn = columns.score {
            let scoreIndex = try index(scoreColumn)
            let positive = columns.positive ?? "1"
            let values = Set(table.rows.map { $0[labelIndex] })
            guard values.contains(positive) || values.isEmpty else {
                throw ReportError(code: .input, message: "no row has the positive label '\(positive)' (labels seen: \(values.sorted().joined(separator: ", "))); set --positive", path: path)
            }
            let negatives = values.subtracting([positive]).sorted()
            classes = [negatives.count == 1 ? negatives[0] : "not \(positive)", positive]
            for (line, row) in table.rows.enumerated() {
                let p = try number(row[scoreIndex], line: line + 2, column: scoreColumn)
                labels.append(row[labelIndex] == positive ? 1 : 0)
                scores.append([1 - p, p])
            }
        } else {
            guard columns.probabilities.count >= 2 else {
                throw ReportError(code: .input, message: "give --score-column (binary) or two or more --probability-columns", path: path)
            }
            let indices = try columns.probabilities.map(index)
            classes = columns.probabilities.map { $0.hasPrefix("p_") ? String($0.dropFirst(2)) : $0 }
            for (line, row) in table.rows.enumerated() {
                guard let k = classes.firstIndex(of: row[labelIndex]) else {
                    throw ReportError(code: .input, message: "line \(line + 2): label '\(row[labelIndex])' has no probability column (classes: \(classes.joined(separator: ", ")))", path: path)
                }
                labels.append(k)
                scores.append(try zip(indices, columns.probabilities).map { try number(row[$0.0], line: line + 2, column: $0.1) })
            }
        }
        ids = table.rows.enumerated().map { row in idIndex.map { row.element[$0] } ?? String(row.offset) }
        var predictions = Predictions(name: name, ids: ids, labels: labels, classes: classes, scores: scores)
        predictions.source = (path as NSString).lastPathComponent
        predictions.sourceSha256 = FileManager.default.contents(atPath: path).map { SHA256Hex.of([UInt8]($0)) }
        return predictions
    }
}

/// The one error type of reports.
public struct ReportError: Error, CustomStringConvertible, Sendable {
    public enum Code: String, Sendable { case input, mismatch, output }
    public var code: Code, message: String, path: String?
    public init(code: Code, message: String, path: String? = nil) {
        self.code = code
        self.message = message
        self.path = path
    }
    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
