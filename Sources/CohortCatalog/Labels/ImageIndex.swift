import Foundation
import GRDB

/// Images (role `image`) indexed by the fields label files join on.
struct ImageIndex {
    let key: LabelJoinKey
    /// Relative path of each image.
    private(set) var paths: [Int64: String] = [:]
    private var byPath: [String: [Int64]] = [:]
    private var byFileName: [String: [Int64]] = [:]
    private var byUID: [String: [Int64]] = [:]
    private var byPatientSideView: [String: [Int64]] = [:]

    init(db: Database, key: LabelJoinKey) throws {
        self.key = key
        let rows = try Row.fetchAll(db, sql: """
            SELECT image.id, file.relativePath, image.sopInstanceUID, image.laterality, image.view, patient.patientKey
            FROM image JOIN file ON file.id = image.fileId LEFT JOIN patient ON patient.id = image.patientId
            WHERE image.role = 'image'
            """)
        for row in rows {
            let id: Int64 = row["id"], path: String = row["relativePath"]
            paths[id] = path
            byPath[path, default: []].append(id)
            byFileName[String(path.split(separator: "/").last ?? ""), default: []].append(id)
            if let uid: String = row["sopInstanceUID"] { byUID[uid, default: []].append(id) }
            if let patient: String = row["patientKey"] {
                let side = Self.laterality(row["laterality"] ?? ""), view = Self.view(row["view"] ?? "")
                byPatientSideView[patient + "\u{0}" + side + "\u{0}" + view, default: []].append(id)
            }
        }
    }

    /// Images matching a row's key fields (in the order of the join key's columns).
    func images(for parts: [String], pseudonymizer: Pseudonymizer?) -> [Int64] {
        switch key {
        case .path:
            let path = Self.normalisedPath(parts[0])
            if let exact = byPath[path] { return exact }
            let name = String(path.split(separator: "/").last ?? "")
            return (byFileName[name] ?? []).filter { id in
                let stored = paths[id] ?? ""
                return stored.hasSuffix("/" + path) || path.hasSuffix("/" + stored)
            }
        case .sopInstanceUID:
            return byUID[pseudonymizer?.uid(parts[0]) ?? parts[0]] ?? []
        case .patientLateralityView:
            let patient = pseudonymizer?.patientKey(parts[0]) ?? parts[0]
            return byPatientSideView[patient + "\u{0}" + Self.laterality(parts[1]) + "\u{0}" + Self.view(parts[2])] ?? []
        }
    }

    static func normalisedPath(_ path: String) -> String {
        var p = path.replacingOccurrences(of: "\\", with: "/")
        while p.hasPrefix("./") { p.removeFirst(2) }
        return p
    }

    /// `L`/`R` from `L`, `LEFT`, `R`, `RIGHT` (any case).
    static func laterality(_ text: String) -> String {
        let t = text.uppercased().trimmingCharacters(in: .whitespaces)
        if t == "LEFT" { return "L" }
        if t == "RIGHT" { return "R" }
        return t
    }

    static func view(_ text: String) -> String { text.uppercased().trimmingCharacters(in: .whitespaces) }
}
