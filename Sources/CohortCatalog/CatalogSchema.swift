import GRDB

/// The catalog's tables, as named, append-only migrations: a released migration is never edited; changes
/// come as new migrations after it.
enum CatalogSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1 patients, studies, series, files, images, labels, masks, runs, failures") { db in
            try createSettings(db)
            try createHierarchy(db)
            try createFilesAndImages(db)
            try createAnnotations(db)
            try createImportBookkeeping(db)
        }
        migrator.registerMigration("v2 splits and their assignments") { db in
            try createSplits(db)
        }
        migrator.registerMigration("v3 training runs, per-epoch history and predictions") { db in
            try createRuns(db)
        }
        migrator.registerMigration("v4 segmentation: per-epoch Dice and IoU, per-image mask results") { db in
            try createSegmentation(db)
        }
        return migrator
    }

    private static func createRuns(_ db: Database) throws {
        try db.create(table: "run") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull()
            t.column("kind", .text).notNull()            // train | score
            t.column("configuration", .text).notNull()   // the full configuration, JSON
            t.column("splitName", .text)
            t.column("task", .text)
            t.column("model", .text)
            t.column("seed", .integer)
            t.column("toolVersion", .text).notNull()
            t.column("inputHash", .text)                 // SHA-256 over the image digests used
            t.column("folder", .text)                    // checkpoints and CSVs
            t.column("status", .text).notNull()          // running | finished | stopped | failed
            t.column("bestEpoch", .integer)
            t.column("startedAt", .text).notNull()
            t.column("finishedAt", .text)
        }
        try db.create(table: "runEpoch") { t in
            t.belongsTo("run", onDelete: .cascade).notNull()
            t.column("epoch", .integer).notNull()
            t.column("phase", .text).notNull()           // train | validation
            t.column("loss", .double).notNull()
            t.column("accuracy", .double)
            t.column("precision", .double)
            t.column("recall", .double)
            t.column("f1", .double)
            t.column("auc", .double)
            t.column("learningRate", .double)
            t.column("seconds", .double)
            t.primaryKey(["runId", "epoch", "phase"])
        }
        try db.create(table: "prediction") { t in
            t.belongsTo("run", onDelete: .cascade).notNull()
            t.belongsTo("image", onDelete: .cascade).notNull()
            t.column("label", .text)
            t.column("scores", .text).notNull()          // comma-separated class probabilities
            t.primaryKey(["runId", "imageId"])
        }
    }

    private static func createSegmentation(_ db: Database) throws {
        try db.alter(table: "runEpoch") { t in
            t.add(column: "dice", .double)
            t.add(column: "iou", .double)
        }
        try db.create(table: "maskResult") { t in
            t.belongsTo("run", onDelete: .cascade).notNull()
            t.belongsTo("image", onDelete: .cascade).notNull()
            t.column("maskPath", .text)                  // the predicted mask written, relative to the scoring output
            t.column("predictedPixels", .integer).notNull()
            t.column("referencePixels", .integer)        // NULL when the image has no reference mask in the catalog
            t.column("dice", .double)
            t.column("iou", .double)
            t.column("sensitivity", .double)
            t.column("precision", .double)
            t.column("hd95", .double)
            t.column("asd", .double)
            t.column("distanceUnit", .text)              // mm | pixel
            t.primaryKey(["runId", "imageId"])
        }
    }

    private static func createSplits(_ db: Database) throws {
        try db.create(table: "split") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("name", .text).notNull().unique()
            t.column("task", .text).notNull()
            t.column("partitions", .text).notNull()   // comma-separated names, in order
            t.column("ratios", .text).notNull()       // comma-separated, same order
            t.column("groupBy", .text).notNull()      // patient | study | none
            t.column("seed", .integer).notNull()
            t.column("folds", .integer)               // k of k-fold, else NULL
            t.column("algorithmVersion", .integer).notNull()
            t.column("createdAt", .text).notNull()
        }
        try db.create(table: "splitAssignment") { t in
            t.belongsTo("split", onDelete: .cascade).notNull()
            t.belongsTo("image", onDelete: .cascade).notNull()
            t.column("partition", .text).notNull()
            t.column("groupKey", .text).notNull()     // the group the image was kept with
            t.primaryKey(["splitId", "imageId"])
        }
    }

    private static func createSettings(_ db: Database) throws {
        // Catalog-wide facts such as the de-identification key fingerprint.
        try db.create(table: "setting") { t in
            t.primaryKey("name", .text)
            t.column("value", .text).notNull()
        }
    }

    private static func createHierarchy(_ db: Database) throws {
        try db.create(table: "patient") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("patientKey", .text).notNull().unique()  // (0010,0020) Patient ID, or its pseudonym
            t.column("isPseudonym", .boolean).notNull()
            t.column("sex", .text)
            t.column("birthDate", .text)
        }
        try db.create(table: "study") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("patient", onDelete: .restrict)
            t.column("studyInstanceUID", .text).notNull().unique()
            t.column("studyDate", .text)
            t.column("accessionNumber", .text)
        }
        try db.create(table: "series") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("study", onDelete: .restrict)
            t.column("seriesInstanceUID", .text).notNull().unique()
            t.column("modality", .text)
            t.column("bodyPart", .text)
        }
    }

    private static func createFilesAndImages(_ db: Database) throws {
        try db.create(table: "file") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("root", .text).notNull()          // absolute import root
            t.column("relativePath", .text).notNull()  // path below the root
            t.column("size", .integer).notNull()
            t.column("modifiedNanos", .integer).notNull()
            t.column("sha256", .text).notNull().indexed()
            t.column("format", .text).notNull()
            t.column("importRunId", .integer).notNull()
            t.uniqueKey(["root", "relativePath"])
        }
        try db.create(table: "image") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("file", onDelete: .cascade).notNull().unique()
            t.column("role", .text).notNull().defaults(to: "image").indexed()  // image | mask
            t.belongsTo("patient", onDelete: .restrict)
            t.belongsTo("study", onDelete: .restrict)
            t.belongsTo("series", onDelete: .restrict)
            t.column("sopInstanceUID", .text).indexed()
            t.column("sopClassUID", .text)
            t.column("modality", .text)
            t.column("manufacturer", .text)
            t.column("manufacturerModel", .text)
            t.column("laterality", .text)           // L, R, B
            t.column("view", .text)                 // CC, MLO, ML, LM, XCCL, ...
            t.column("presentationIntent", .text)   // FOR PRESENTATION | FOR PROCESSING
            t.column("rows", .integer).notNull()
            t.column("columns", .integer).notNull()
            t.column("frames", .integer).notNull()
            t.column("samplesPerPixel", .integer).notNull()
            t.column("bitsStored", .integer).notNull()
            t.column("photometric", .text)
            t.column("encoding", .text)
            t.column("pixelSpacingRow", .double)
            t.column("pixelSpacingColumn", .double)
            t.column("pixelSha256", .text).indexed()   // digest of stored values, pydicom's layout
            t.column("nonzeroFraction", .double)       // share of samples that are not 0
        }
    }

    private static func createAnnotations(_ db: Database) throws {
        try db.create(table: "label") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("image", onDelete: .cascade).notNull()
            t.column("task", .text).notNull()
            t.column("value", .text).notNull()
            t.column("source", .text).notNull()
            t.column("createdBy", .text).notNull()
            t.column("createdAt", .text).notNull()
            t.uniqueKey(["imageId", "task"])
        }
        try db.create(index: "label_on_task_value", on: "label", columns: ["task", "value"])
        try db.create(table: "mask") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("image", onDelete: .cascade).notNull()
            t.belongsTo("maskImage", inTable: "image", onDelete: .cascade).notNull().unique()
            t.column("label", .text).notNull()
            t.column("ordinal", .integer).notNull()
            t.column("foregroundFraction", .double).notNull()
        }
    }

    private static func createImportBookkeeping(_ db: Database) throws {
        try db.create(table: "importRun") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("toolVersion", .text).notNull()
            t.column("arguments", .text).notNull()
            t.column("roots", .text).notNull()
            t.column("deidentified", .boolean).notNull()
            t.column("startedAt", .text).notNull()
            t.column("finishedAt", .text)
            for counter in ["filesSeen", "filesAdded", "filesChanged", "filesUnchanged", "filesFailed", "filesSkipped"] {
                t.column(counter, .integer).notNull().defaults(to: 0)
            }
        }
        try db.create(table: "failure") { t in
            t.autoIncrementedPrimaryKey("id")
            t.column("importRunId", .integer).notNull()
            t.column("root", .text).notNull()
            t.column("relativePath", .text).notNull()
            t.column("size", .integer).notNull()
            t.column("modifiedNanos", .integer).notNull()
            t.column("code", .text).notNull()
            t.column("message", .text).notNull()
            t.uniqueKey(["root", "relativePath"])
        }
        try db.create(table: "fileChange") { t in
            t.autoIncrementedPrimaryKey("id")
            t.belongsTo("file", onDelete: .cascade).notNull()
            t.column("importRunId", .integer).notNull()
            t.column("previousSha256", .text).notNull()
            t.column("newSha256", .text).notNull()
            t.column("detectedAt", .text).notNull()
        }
    }
}
