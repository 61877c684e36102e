import CohortCore
import GRDB

/// Writes one batch of probed files in the caller's transaction: files, images and their patient, study and
/// series, failures and detected changes. Everything identifying passes through the pseudonymizer first.
struct ImportWriter {
    let runId: Int64
    let pseudonymizer: Pseudonymizer?

    /// Counts of what a batch did.
    struct Tally { var added = 0, changed = 0, unchanged = 0, failed = 0, skipped = 0 }

    /// Writes one file's outcome. `known`: the catalog had a file or failure row for this path when the import
    /// began (false lets a readable image be inserted without looking first).
    func write(_ candidate: ImportCandidate, _ outcome: ProbeOutcome, sha256: String?, known: Bool, in db: Database,
               statements: RawStatements, tally: inout Tally) throws {
        if !known, case .image(let facts) = outcome, try insertNew(candidate, facts, in: db, statements: statements) {
            tally.added += 1
            return
        }
        let existing = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, sha256 FROM file WHERE root = ? AND relativePath = ?"),
                                        arguments: [candidate.root, candidate.relativePath])
        switch outcome {
        case .notImage:
            tally.skipped += 1
        case let .failed(code, message):
            if let fileId: Int64 = existing?["id"] { try db.run("DELETE FROM file WHERE id = ?", [fileId]) }
            try recordFailure(candidate, code: code, message: message, in: db)
            if code == "noPixelData" { tally.skipped += 1 } else { tally.failed += 1 }
        case let .image(facts):
            try db.run("DELETE FROM failure WHERE root = ? AND relativePath = ?", [candidate.root, candidate.relativePath])
            if let existing, let fileId: Int64 = existing["id"] {
                let previous: String = existing["sha256"]
                try db.run("UPDATE file SET size = ?, modifiedNanos = ? WHERE id = ?", [candidate.size, candidate.modifiedNanos, fileId])
                if previous == facts.sha256 { tally.unchanged += 1; return }
                try db.run("""
                    INSERT INTO fileChange (fileId, importRunId, previousSha256, newSha256, detectedAt) VALUES (?, ?, ?, ?, ?)
                    """, [fileId, runId, previous, facts.sha256, Catalog.timestamp()])
                try db.run("UPDATE file SET sha256 = ?, format = ?, importRunId = ? WHERE id = ?", [facts.sha256, facts.metadata.format.rawValue, runId, fileId])
                try writeImage(facts, fileId: fileId, in: db, statements: statements)
                tally.changed += 1
            } else {
                try db.run("""
                    INSERT INTO file (root, relativePath, size, modifiedNanos, sha256, format, importRunId)
                    VALUES (?, ?, ?, ?, ?, ?, ?)
                    """, [candidate.root, candidate.relativePath, candidate.size, candidate.modifiedNanos,
                                     facts.sha256, facts.metadata.format.rawValue, runId])
                try writeImage(facts, fileId: db.lastInsertedRowID, in: db, statements: statements)
                tally.added += 1
            }
        }
    }

    private static let insertFile = """
        INSERT INTO file (root, relativePath, size, modifiedNanos, sha256, format, importRunId) VALUES (?, ?, ?, ?, ?, ?, ?)
        ON CONFLICT(root, relativePath) DO NOTHING
        """

    /// Inserts the file and image rows of a path the catalog did not know; false (nothing written) when a file row
    /// for it appeared meanwhile (another import), which the general path then handles.
    private func insertNew(_ candidate: ImportCandidate, _ facts: ImageFacts, in db: Database, statements: RawStatements) throws -> Bool {
        let inserted = try statements(Self.insertFile).run([
            .text(candidate.root), .text(candidate.relativePath), .integer(candidate.size), .integer(candidate.modifiedNanos),
            .text(facts.sha256), .text(facts.metadata.format.rawValue), .integer(runId),
        ])
        guard inserted == 1 else { return false }
        let fileId = db.lastInsertedRowID
        try statements("DELETE FROM failure WHERE root = ? AND relativePath = ?").run([.text(candidate.root), .text(candidate.relativePath)])
        try statements(Self.insertImage).run([.integer(fileId)] + imageValues(facts, hierarchy: try hierarchy(facts.metadata, in: db)))
        return true
    }

    private func recordFailure(_ candidate: ImportCandidate, code: String, message: String, in db: Database) throws {
        try db.run("""
            INSERT INTO failure (importRunId, root, relativePath, size, modifiedNanos, code, message)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT(root, relativePath) DO UPDATE SET importRunId = excluded.importRunId, size = excluded.size,
                modifiedNanos = excluded.modifiedNanos, code = excluded.code, message = excluded.message
            """, [runId, candidate.root, candidate.relativePath, candidate.size, candidate.modifiedNanos,
                             code, message])
    }

    /// The image table's columns that an import writes, in the order of ``imageValues(_:hierarchy:)``.
    private static let imageColumns = [
        "patientId", "studyId", "seriesId", "sopInstanceUID", "sopClassUID", "modality", "manufacturer",
        "manufacturerModel", "laterality", "view", "presentationIntent", "rows", "columns", "frames", "samplesPerPixel",
        "bitsStored", "photometric", "encoding", "pixelSpacingRow", "pixelSpacingColumn", "pixelSha256", "nonzeroFraction",
    ]
    // Built once: sorting column names and composing the SQL for every file showed in profiles of the writer.
    private static let insertImage = "INSERT INTO image (\"fileId\", " + imageColumns.map { "\"\($0)\"" }.joined(separator: ", ")
        + ") VALUES (" + Array(repeating: "?", count: imageColumns.count + 1).joined(separator: ", ") + ")"
    private static let updateImage = "UPDATE image SET " + imageColumns.map { "\"\($0)\" = ?" }.joined(separator: ", ") + " WHERE id = ?"

    private func imageValues(_ facts: ImageFacts, hierarchy: (Int64?, Int64?, Int64?)) -> [RawStatement.Value] {
        let m = facts.metadata
        let spacing = m.pixelSpacingMillimeters
        return [
            .init(hierarchy.0), .init(hierarchy.1), .init(hierarchy.2), .init(m.sopInstanceUID.map(mapUID)), .init(m.sopClassUID),
            .init(m.modality), .init(m.manufacturer), .init(m.manufacturerModel), .init(m.laterality), .init(m.view),
            .init(m.presentationIntent), .init(m.rows), .init(m.columns), .init(m.frames), .init(m.samplesPerPixel),
            .init(m.bitsStored), .init(facts.photometric), .init(m.encoding), .init(spacing?.first),
            .init(spacing.flatMap { $0.count > 1 ? $0[1] : nil }), .init(facts.pixelSha256), .init(facts.nonzeroFraction),
        ]
    }

    /// Inserts or replaces the image row of `fileId` (its id, labels and masks stay when the file changed).
    private func writeImage(_ facts: ImageFacts, fileId: Int64, in db: Database, statements: RawStatements) throws {
        let values = imageValues(facts, hierarchy: try hierarchy(facts.metadata, in: db))
        if let imageId = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM image WHERE fileId = ?"), arguments: [fileId]) {
            try statements(Self.updateImage).run(values + [.integer(imageId)])
        } else {
            try statements(Self.insertImage).run([.integer(fileId)] + values)
        }
    }

    /// Finds or creates the patient, study and series rows of an image (nil where the file has no such IDs).
    private func hierarchy(_ m: ImageMetadata, in db: Database) throws -> (Int64?, Int64?, Int64?) {
        var patientId: Int64?
        if let id = m.patientID, !id.isEmpty {
            let key = pseudonymizer?.patientKey(id) ?? id
            patientId = try upsertId(db, table: "patient", key: "patientKey", value: key, extra: [
                "isPseudonym": pseudonymizer != nil,
                "sex": pseudonymizer == nil ? m.patientSex : nil,
                "birthDate": pseudonymizer == nil ? m.patientBirthDate : nil,
            ])
        }
        var studyId: Int64?
        if let uid = m.studyInstanceUID, !uid.isEmpty {
            let date = m.studyDate.flatMap { date in pseudonymizer.map { $0.shiftedDate(date, patientID: m.patientID ?? "") } ?? date }
            studyId = try upsertId(db, table: "study", key: "studyInstanceUID", value: mapUID(uid), extra: [
                "patientId": patientId, "studyDate": date,
                "accessionNumber": pseudonymizer == nil ? m.accessionNumber : nil,
            ])
        }
        var seriesId: Int64?
        if let uid = m.seriesInstanceUID, !uid.isEmpty {
            seriesId = try upsertId(db, table: "series", key: "seriesInstanceUID", value: mapUID(uid), extra: [
                "studyId": studyId, "modality": m.modality, "bodyPart": m.bodyPart,
            ])
        }
        return (patientId, studyId, seriesId)
    }

    private func mapUID(_ uid: String) -> String { pseudonymizer?.uid(uid) ?? uid }

    private func upsertId(_ db: Database, table: String, key: String, value: String,
                          extra: [String: (any DatabaseValueConvertible)?]) throws -> Int64 {
        if let id = try Int64.fetchOne(db.cachedStatement(sql: "SELECT id FROM \(table) WHERE \(key) = ?"), arguments: [value]) {
            return id
        }
        let names = extra.keys.sorted()
        let list = ([key] + names).map { "\"\($0)\"" }.joined(separator: ", ")
        let marks = Array(repeating: "?", count: names.count + 1).joined(separator: ", ")
        try db.run("INSERT INTO \(table) (\(list)) VALUES (\(marks))", StatementArguments([value] + names.map { extra[$0]! }))
        return db.lastInsertedRowID
    }
}

extension Database {
    /// Executes `sql` through the connection's statement cache (the importer runs the same few statements
    /// for every file).
    func run(_ sql: String, _ arguments: StatementArguments) throws {
        try cachedStatement(sql: sql).execute(arguments: arguments)
    }
}
