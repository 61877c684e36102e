import GRDB

/// Keeps a catalog either de-identified with one key, or not de-identified at all: mixing would put
/// identifiers into a de-identified catalog or split one patient into two pseudonyms.
enum DeidentificationGuard {
    static let settingName = "deidentificationKeyFingerprint"

    static func check(catalog: Catalog, pseudonymizer: Pseudonymizer?) throws {
        try catalog.write { db in
            let stored = try String.fetchOne(db, sql: "SELECT value FROM setting WHERE name = ?", arguments: [settingName])
            let hasImages = try Int.fetchOne(db, sql: "SELECT count(*) FROM image")! > 0
            switch (stored, pseudonymizer) {
            case (nil, nil):
                return
            case let (nil, p?):
                guard !hasImages else {
                    throw CatalogError(code: .deidentification,
                                       message: "this catalog already holds images imported without --deidentify; de-identified imports need a new catalog (--catalog)",
                                       path: catalog.path)
                }
                try db.execute(sql: "INSERT INTO setting (name, value) VALUES (?, ?)", arguments: [settingName, p.keyFingerprint])
            case (_?, nil):
                throw CatalogError(code: .deidentification,
                                   message: "this catalog is de-identified; import into it with --deidentify --key KEYFILE (the same key as before)",
                                   path: catalog.path)
            case let (value?, p?):
                guard value == p.keyFingerprint else {
                    throw CatalogError(code: .deidentification,
                                       message: "this key is not the one the catalog was de-identified with; pseudonyms would not match (use the original key file)",
                                       path: catalog.path)
                }
            }
        }
    }
}
