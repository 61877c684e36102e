import Foundation
import GRDB

/// How rows of a label file find their image.
public enum LabelJoinKey: Sendable {
    /// A file path column: matched to the path relative to the import root, or as a path suffix either way.
    case path(column: String)
    /// A (0008,0018) SOP Instance UID column.
    case sopInstanceUID(column: String)
    /// Patient ID, laterality and view columns (CBIS-DDSM style, one row per finding).
    case patientLateralityView(patient: String, laterality: String, view: String)
}

/// Settings of one label import.
public struct LabelImportOptions: Sendable {
    public var task: String
    public var valueColumn: String
    public var key: LabelJoinKey
    /// Value vocabulary mapping applied before anything else (`old -> new`).
    public var valueMap: [String: String] = [:]
    /// When rows for one image disagree, the value earliest in this list wins; empty: disagreements are reported
    /// and the image is left unlabelled.
    public var priority: [String] = []
    /// Needed for de-identified catalogs: label files carry real patient IDs and UIDs.
    public var pseudonymizer: Pseudonymizer?

    public init(task: String, valueColumn: String, key: LabelJoinKey) {
        self.task = task
        self.valueColumn = valueColumn
        self.key = key
    }
}

/// What a label import did. Line numbers count the header as line 1.
public struct LabelImportResult: Sendable {
    public var added = 0, changed = 0, unchanged = 0
    /// Rows whose key matched no image.
    public var unmatched: [(line: Int, key: String)] = []
    /// Rows whose key matched several images (not applied).
    public var ambiguous: [(line: Int, key: String, images: Int)] = []
    /// Images whose rows disagree (not applied without a priority order).
    public var conflicts: [(path: String, values: [String])] = []
    /// Rows with an empty value.
    public var emptyValues = 0
}

/// Imports labels from a CSV file, joined to catalog images by path, SOP Instance UID or patient/side/view.
public struct CSVLabelImporter {
    let catalog: Catalog

    /// Creates the importer.
    public init(catalog: Catalog) { self.catalog = catalog }

    /// Reads `csvPath` and writes the labels in one transaction.
    public func run(csvPath: String, options: LabelImportOptions) throws -> LabelImportResult {
        let table = try CSVFile(path: csvPath)
        let valueIndex = try table.column(options.valueColumn, path: csvPath)
        let keyIndices = try keyColumns(options.key).map { try table.column($0, path: csvPath) }
        let source = "csv:" + (csvPath as NSString).lastPathComponent
        return try catalog.write { db in
            let deidentified = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = ?",
                                                   arguments: [DeidentificationGuard.settingName])
            if deidentified != nil, options.pseudonymizer == nil, !isPathKey(options.key) {
                throw CatalogError(code: .deidentification,
                                   message: "this catalog is de-identified: pass --key with the catalog's key so patient IDs and UIDs in the label file can be matched",
                                   path: csvPath)
            }
            let index = try ImageIndex(db: db, key: options.key)
            var result = LabelImportResult()
            var values: [Int64: [String]] = [:]
            for (offset, row) in table.rows.enumerated() {
                let raw = row[valueIndex].trimmingCharacters(in: .whitespaces)
                guard !raw.isEmpty else { result.emptyValues += 1; continue }
                let value = options.valueMap[raw] ?? raw
                let keyParts = keyIndices.map { row[$0].trimmingCharacters(in: .whitespaces) }
                let matches = index.images(for: keyParts, pseudonymizer: deidentified == nil ? nil : options.pseudonymizer)
                let shownKey = isPathKey(options.key) ? keyParts.joined(separator: " / ") : "(identifier hidden)"
                if matches.isEmpty { result.unmatched.append((offset + 2, shownKey)); continue }
                if matches.count > 1 { result.ambiguous.append((offset + 2, shownKey, matches.count)); continue }
                values[matches[0], default: []].append(value)
            }
            for (imageId, candidates) in values.sorted(by: { $0.key < $1.key }) {
                let distinct = Array(Set(candidates)).sorted()
                var chosen = distinct.count == 1 ? distinct[0] : nil
                if chosen == nil { chosen = options.priority.first { distinct.contains($0) } }
                guard let value = chosen else {
                    result.conflicts.append((index.paths[imageId] ?? "#\(imageId)", distinct))
                    continue
                }
                switch try LabelStore.set(imageId: imageId, task: options.task, value: value, source: source, in: db) {
                case .added: result.added += 1
                case .changed: result.changed += 1
                case .unchanged: result.unchanged += 1
                }
            }
            return result
        }
    }

    private func keyColumns(_ key: LabelJoinKey) -> [String] {
        switch key {
        case let .path(column), let .sopInstanceUID(column): return [column]
        case let .patientLateralityView(patient, laterality, view): return [patient, laterality, view]
        }
    }

    private func isPathKey(_ key: LabelJoinKey) -> Bool {
        if case .path = key { return true }
        return false
    }
}
