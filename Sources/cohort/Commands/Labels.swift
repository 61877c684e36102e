import ArgumentParser
import CohortCatalog
import Foundation

/// `cohort labels`: attach labels to catalog images.
struct Labels: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label catalog images from a CSV file or from their folder names.",
        subcommands: [ImportCSV.self, FromFolders.self, Derive.self]
    )

    struct ImportCSV: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import",
            abstract: "Import labels from a CSV file, joined by path, SOP Instance UID or patient + laterality + view.",
            discussion: """
                One label per image and task: importing again replaces changed values. Several rows for one image \
                (label files with one row per finding) are collapsed: equal values merge; different values are \
                reported as conflicts unless --priority says which wins. Rows that match no image or several \
                images are reported, never dropped silently.

                Examples:
                  cohort labels import truth.csv --task cancer --value-column label --path-column file
                  cohort labels import calc.csv --task pathology --value-column pathology \\
                      --patient-column patient_id --laterality-column "left or right breast" \\
                      --view-column "image view" --map BENIGN_WITHOUT_CALLBACK=BENIGN --priority MALIGNANT,BENIGN
                """
        )

        @Argument(help: "The CSV file (header row first).") var file: String
        @Option(help: "Task name, such as pathology or birads.") var task: String
        @Option(help: "Column holding the label value.") var valueColumn: String
        @Option(help: "Join on this column of file paths (relative to the import root, or a path suffix).") var pathColumn: String?
        @Option(help: "Join on this column of SOP Instance UIDs.") var uidColumn: String?
        @Option(help: "Join on patient ID (with --laterality-column and --view-column).") var patientColumn: String?
        @Option(help: "Laterality column (L/R/LEFT/RIGHT).") var lateralityColumn: String?
        @Option(help: "View column (CC, MLO, ...).") var viewColumn: String?
        @Option(name: .customLong("map"), help: ArgumentHelp("Rename a value (repeatable).", valueName: "old=new")) var maps: [String] = []
        @Option(help: ArgumentHelp("Comma-separated values; the first present wins when rows disagree.", valueName: "v1,v2,...")) var priority: String?
        @Option(help: ArgumentHelp("The catalog's de-identification key (needed for UID and patient joins there).", valueName: "file")) var key: String?
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            let joinKey: LabelJoinKey
            switch (pathColumn, uidColumn, patientColumn) {
            case let (path?, nil, nil): joinKey = .path(column: path)
            case let (nil, uid?, nil): joinKey = .sopInstanceUID(column: uid)
            case let (nil, nil, patient?):
                guard let side = lateralityColumn, let view = viewColumn else {
                    throw ValidationError("--patient-column needs --laterality-column and --view-column")
                }
                joinKey = .patientLateralityView(patient: patient, laterality: side, view: view)
            default:
                throw ValidationError("give exactly one join: --path-column, --uid-column or --patient-column")
            }
            var options = LabelImportOptions(task: task, valueColumn: valueColumn, key: joinKey)
            for map in maps {
                let parts = map.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2 else { throw ValidationError("--map takes old=new, got '\(map)'") }
                options.valueMap[parts[0]] = parts[1]
            }
            options.priority = priority?.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } ?? []
            options.pseudonymizer = try key.map { try Pseudonymizer(keyFile: $0) }
            let result = try CSVLabelImporter(catalog: catalog.open()).run(csvPath: file, options: options)
            report(result)
            if !result.unmatched.isEmpty || !result.ambiguous.isEmpty || !result.conflicts.isEmpty { throw ExitCode(3) }
        }

        private func report(_ r: LabelImportResult) {
            print("labels '\(task)': \(r.added) added, \(r.changed) changed, \(r.unchanged) unchanged" +
                  (r.emptyValues > 0 ? ", \(r.emptyValues) row(s) with an empty value skipped" : ""))
            if !r.unmatched.isEmpty {
                print("  \(r.unmatched.count) row(s) match no image:")
                for u in r.unmatched.prefix(10) { print("    line \(u.line): \(u.key)") }
            }
            if !r.ambiguous.isEmpty {
                print("  \(r.ambiguous.count) row(s) match several images (not applied):")
                for a in r.ambiguous.prefix(10) { print("    line \(a.line): \(a.key) matches \(a.images) images") }
            }
            if !r.conflicts.isEmpty {
                print("  \(r.conflicts.count) image(s) with disagreeing rows (not applied; use --priority):")
                for c in r.conflicts.prefix(10) { print("    \(c.path): \(c.values.joined(separator: " vs "))") }
            }
        }
    }

    struct FromFolders: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "from-folders",
            abstract: "Label every image with its parent folder's name (the ImageFolder and BUSI layout)."
        )

        @Option(help: "Task name.") var task: String
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            let result = try FolderLabels(catalog: catalog.open()).assign(task: task)
            print("labels '\(task)': \(result.assigned) set from folders, \(result.unchanged) unchanged" +
                  (result.withoutFolder > 0 ? ", \(result.withoutFolder) image(s) directly under their root left unlabelled" : ""))
        }
    }
}

extension Labels {
    struct Derive: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a task from another by renaming its values, e.g. benign and malignant as abnormal.",
            discussion: """
                Every image labelled under --from gets a label under --task: the --map value when one names it, \
                else the same value. A split made on the source task serves the derived one (training's --task), \
                so a binary question shares the partitions of a three-class split.

                Example:
                  cohort labels derive --from pathology --task abnormal --map benign=abnormal --map malignant=abnormal
                """
        )

        @Option(help: "The source task.") var from: String
        @Option(help: "The new task.") var task: String
        @Option(name: .customLong("map"), help: ArgumentHelp("Rename a value (repeatable).", valueName: "old=new")) var maps: [String] = []
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            var map: [String: String] = [:]
            for m in maps {
                let parts = m.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { throw ValidationError("--map is old=new, got \(m)") }
                map[parts[0]] = parts[1]
            }
            let result = try DerivedLabels(catalog: catalog.open()).derive(task: task, from: from, map: map)
            print("labels '\(task)' from '\(from)': \(result.assigned) set, \(result.unchanged) unchanged" +
                  (result.unmappedValues.isEmpty ? "" : "; values kept as they were: \(result.unmappedValues.joined(separator: ", "))"))
        }
    }
}

/// `cohort masks`: pair mask files with their images.
struct Masks: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Attach mask images to their images.",
        subcommands: [Attach.self]
    )

    struct Attach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Pair x.png with x<suffix>.png, x<suffix>_1.png, ... in the same folder.",
            discussion: "Several masks per image are kept. A mask whose size differs from its image is an error naming both; nothing is resized."
        )

        @Option(help: "Suffix of mask file names before the extension.") var suffix = "_mask"
        @Option(help: "Label stored with the masks.") var label = "lesion"
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            let result = try MaskAttacher(catalog: catalog.open()).attach(suffix: suffix, label: label)
            MaskReport.print(result)
            if !result.errors.isEmpty { throw ExitCode(3) }
        }
    }
}
