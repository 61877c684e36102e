import CohortImageIO
import Foundation
import GRDB

/// Pairs mask files with their images by name: `x.png` with `x<suffix>.png`, `x<suffix>_1.png`, ... in the same
/// folder. Attached masks leave the image list (role `mask`) and become mask rows of their image.
public struct MaskAttacher {
    let catalog: Catalog

    /// Creates the attacher.
    public init(catalog: Catalog) { self.catalog = catalog }

    /// What attaching did.
    public struct Result: Sendable {
        /// Masks newly attached, and masks that were attached before.
        public var attached = 0, alreadyAttached = 0
        /// Mask-named files with no image of that name (relative paths).
        public var orphans: [String] = []
        /// Masks refused, with the reason (size differs from the image's).
        public var errors: [String] = []
        /// Images with more than one mask.
        public var imagesWithSeveralMasks = 0
    }

    /// Attaches every not-yet-attached mask named with `suffix`; masks get `label` (default `lesion`).
    public func attach(suffix: String, label: String = "lesion") throws -> Result {
        guard !suffix.isEmpty else { throw CatalogError(code: .invalidArgument, message: "the mask suffix is empty") }
        return try catalog.write { db in
            var result = Result()
            result.alreadyAttached = try Int.fetchOne(db, sql: "SELECT count(*) FROM mask")!
            let rows = try Row.fetchAll(db, sql: """
                SELECT image.id, image.rows, image.columns, image.nonzeroFraction, file.root, file.relativePath
                FROM image JOIN file ON file.id = image.fileId WHERE image.role = 'image'
                """)
            var byStem: [String: Row] = [:]
            for row in rows { byStem[Self.stemKey(row["root"], row["relativePath"])] = row }
            for row in rows {
                let path: String = row["relativePath"]
                guard let (base, ordinal) = Self.maskName(path, suffix: suffix) else { continue }
                guard let image = byStem[Self.stemKey(row["root"], base)] else { result.orphans.append(path); continue }
                let imageSize = [image["rows"] as Int, image["columns"] as Int], maskSize = [row["rows"] as Int, row["columns"] as Int]
                guard imageSize == maskSize else {
                    result.errors.append("mask \(path) is \(maskSize[1])x\(maskSize[0]) but its image \(image["relativePath"] as String) is \(imageSize[1])x\(imageSize[0]); masks are never resized")
                    continue
                }
                let fraction = try (row["nonzeroFraction"] as Double?) ?? Self.foregroundFraction(root: row["root"], path: path)
                try db.execute(sql: "UPDATE image SET role = 'mask', nonzeroFraction = ? WHERE id = ?", arguments: [fraction, row["id"]])
                try db.execute(sql: """
                    INSERT INTO mask (imageId, maskImageId, label, ordinal, foregroundFraction) VALUES (?, ?, ?, ?, ?)
                    """, arguments: [image["id"], row["id"], label, ordinal, fraction])
                result.attached += 1
            }
            result.imagesWithSeveralMasks = try Int.fetchOne(db, sql: "SELECT count(*) FROM (SELECT imageId FROM mask GROUP BY imageId HAVING count(*) > 1)")!
            return result
        }
    }

    /// For `dir/x<suffix>.png` or `dir/x<suffix>_2.png`: the image path without extension (`dir/x`) and the
    /// mask's ordinal (0, 2).
    static func maskName(_ path: String, suffix: String) -> (String, Int)? {
        let stem = (path as NSString).deletingPathExtension
        if stem.hasSuffix(suffix) { return (String(stem.dropLast(suffix.count)), 0) }
        guard let range = stem.range(of: suffix + "_", options: .backwards) else { return nil }
        let tail = stem[range.upperBound...]
        guard !tail.isEmpty, tail.allSatisfy(\.isNumber), let ordinal = Int(tail) else { return nil }
        return (String(stem[..<range.lowerBound]), ordinal)
    }

    /// Decodes a mask imported headers-only to measure its foreground.
    private static func foregroundFraction(root: String, path: String) throws -> Double {
        do {
            let image = try ImageFiles.read(path: root + "/" + path)
            return image.pixels.map(FileProbe.nonzeroFraction) ?? 0
        } catch let error as ImageIOError {
            throw CatalogError(code: .masks, message: "cannot read the mask: \(error.message)", path: path)
        }
    }

    private static func stemKey(_ root: String, _ path: String) -> String {
        root + "\u{0}" + (path as NSString).deletingPathExtension
    }
}
