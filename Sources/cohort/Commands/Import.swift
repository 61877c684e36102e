import ArgumentParser
import CohortCatalog
import Foundation

/// `cohort import`: files into the catalog.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import DICOM, PNG and TIFF files into a catalog (idempotent, resumable, optionally de-identified).",
        discussion: """
            Folders are walked recursively and formats are detected from content. Every file is hashed and \
            decoded on all cores; batches are committed in transactions, so an interrupted import leaves a \
            consistent catalog and the next run resumes where it stopped. Re-importing unchanged files adds \
            nothing; a file whose content changed is updated and the change recorded. Unreadable files are \
            recorded as failures (`cohort failures`) and never stop the import; the exit status is then 3. \
            Images with identical pixels \
            under different names are reported. Files are decoded in worker processes: a decoder that crashes or \
            hangs on a file costs that file only (recorded as decoderCrashed or decoderTimeout). Hashing and \
            (with --headers-only) PNG headers are Cohort's own code and run in this process.

            With --deidentify the catalog stores keyed pseudonyms instead of patient IDs and UIDs, shifted dates \
            and no names (DICOM PS3.15 Basic Profile); the original files are never modified. Keep the key file \
            secret and reuse it for every import into the same catalog.

            Examples:
              cohort import scans/
              cohort import busi/ --labels-from-folders pathology --mask-suffix _mask
              head -c 32 /dev/urandom > site.key && cohort import exports/ --deidentify --key site.key
            """
    )

    @Argument(help: "Files or folders to import.") var paths: [String]
    @OptionGroup var catalog: CatalogOptions
    @OptionGroup var isolation: IsolationOptions
    @Flag(help: "Store pseudonyms instead of identifiers (needs --key).") var deidentify = false
    @Option(help: ArgumentHelp("Secret key file for --deidentify (16+ random bytes).", valueName: "file")) var key: String?
    @Option(help: "Worker threads (default: all cores).") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Flag(help: "Hash unchanged files too, to catch edits that kept size and modification time.") var verify = false
    @Flag(help: "Read headers only, not pixels: fast indexing; corrupt pixel data goes unnoticed and duplicates are found by file content only.")
    var headersOnly = false
    @Option(help: ArgumentHelp("After importing, label images by their parent folder under this task name.", valueName: "task"))
    var labelsFromFolders: String?
    @Option(help: ArgumentHelp("After importing, attach masks named IMAGE<suffix>[_N] to IMAGE.", valueName: "suffix"))
    var maskSuffix: String?
    @Flag(help: "No progress output.") var quiet = false

    /// Exit status when the import finished but some files failed (distinct from 1, a refused command).
    static let exitCodeWithFailures: Int32 = 3

    func validate() throws {
        if deidentify && key == nil { throw ValidationError("--deidentify needs --key FILE (create one: head -c 32 /dev/urandom > cohort.key)") }
        if key != nil && !deidentify { throw ValidationError("--key is only used with --deidentify") }
        if threads < 1 { throw ValidationError("--threads must be at least 1") }
        // Before the catalog is opened: a mistyped path must not leave a new, empty catalog behind.
        for path in paths where !FileManager.default.fileExists(atPath: path) {
            throw ValidationError("no such file or folder: \(path)")
        }
    }

    func run() throws {
        let catalog = try catalog.open()
        var options = ImportOptions(paths: paths)
        options.pseudonymizer = try key.map { try Pseudonymizer(keyFile: $0) }
        options.threads = threads
        options.verifyUnchanged = verify
        options.decodePixels = !headersOnly
        options.arguments = CommandLine.arguments
        options.isolation = try isolation.pool(threads: threads, startNow: false)
        let progress = ProgressReporter(label: "import")
        let summary = try Importer(catalog: catalog, options: options).run { p in
            if !quiet { progress.update(done: p.filesDone, total: p.filesTotal, bytes: p.bytesDone, elapsed: p.elapsedSeconds) }
        }
        progress.finish()
        let postSteps = labelsFromFolders != nil || maskSuffix != nil
        ImportReport.print(summary, catalog: catalog.path, duplicates: !postSteps)
        var maskErrors = false
        if let suffix = maskSuffix {
            let result = try MaskAttacher(catalog: catalog).attach(suffix: suffix)
            MaskReport.print(result)
            maskErrors = !result.errors.isEmpty
        }
        if let task = labelsFromFolders {
            let result = try FolderLabels(catalog: catalog).assign(task: task, source: "import --labels-from-folders")
            Swift.print("labels: \(result.assigned) image(s) labelled from folders for task '\(task)' (\(result.unchanged) unchanged)")
        }
        if postSteps { DuplicateReport.print(try CatalogQueries(catalog: catalog).duplicatePixelGroups()) }
        if summary.failed > 0 || maskErrors { throw ExitCode(Self.exitCodeWithFailures) }
    }
}

/// The end-of-import summary.
enum ImportReport {
    static func print(_ s: ImportSummary, catalog: String, duplicates: Bool) {
        if s.resumedInterruptedRun { Swift.print("note: the previous import did not finish; this run resumed it") }
        let rate = s.seconds > 0 ? Double(s.seen) / s.seconds : 0
        Swift.print(String(format: "imported into %@ in %.1f s (%.0f files/s, %.1f MB read)", catalog, s.seconds, rate,
                           Double(s.bytesRead) / 1e6))
        Swift.print("  \(s.seen) files: \(s.added) added, \(s.changed) changed, \(s.unchanged) unchanged, " +
                    "\(s.failed) failed, \(s.skipped) skipped (not images or no pixel data)")
        if s.failed > 0 { Swift.print("  failures are listed by `cohort failures --catalog \(catalog)`") }
        if duplicates { DuplicateReport.print(s.duplicateGroups) }
    }
}

/// Reports images with identical pixels under different names (a leakage risk for splits).
enum DuplicateReport {
    static func print(_ groups: [DuplicateGroup], limit: Int = 10) {
        guard !groups.isEmpty else { return }
        let conflicting = groups.filter(\.hasConflictingLabels).count
        Swift.print("  \(groups.count) group(s) of images with identical pixels" +
                    (conflicting > 0 ? ", \(conflicting) with conflicting labels:" : ":"))
        for group in groups.prefix(limit) {
            let members = group.members.map { m in m.relativePath + (m.labels.isEmpty ? "" : " [\(m.labels.joined(separator: ", "))]") }
            Swift.print("    " + members.joined(separator: "  ==  ") + (group.hasConflictingLabels ? "  (labels conflict)" : ""))
        }
        if groups.count > limit { Swift.print("    ... and \(groups.count - limit) more (cohort stats --duplicates)") }
    }
}
