import ArgumentParser
import CohortCatalog
import Foundation

/// `cohort stats`: what a catalog holds.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count images by label, format, modality, laterality, view, manufacturer; list duplicates.")

    @OptionGroup var catalog: CatalogOptions
    @Flag(help: "List every group of images with identical pixels.") var duplicates = false

    func run() throws {
        let queries = CatalogQueries(catalog: try catalog.open())
        let totals = try queries.totals()
        print(["images", "masks", "patients", "studies", "failures", "non-image objects"]
            .map { "\($0): \(totals[$0] ?? 0)" }.joined(separator: "  "))
        if totals["patients"] == 0 && (totals["images"] ?? 0) > 0 {
            print("note: no patient IDs in this catalog; splits can only group by image and duplicate content")
        }
        var task = ""
        for label in try queries.labelCounts() {
            if label.task != task { task = label.task; print("label '\(task)':") }
            print("  \(label.value.padding(toLength: 24, withPad: " ", startingAt: 0)) \(label.count)")
        }
        for column in StatsColumn.allCases {
            let counts = try queries.imageCounts(by: column)
            guard !(counts.count == 1 && counts[0].value == "(none)") else { continue }
            print("\(column.rawValue): " + counts.map { "\($0.value) \($0.count)" }.joined(separator: ", "))
        }
        let groups = try queries.duplicatePixelGroups()
        if duplicates { DuplicateReport.print(groups, limit: .max) } else if !groups.isEmpty {
            print("\(groups.count) group(s) of images with identical pixels (--duplicates lists them)")
        }
    }
}

/// `cohort show`: everything the catalog knows about one image.
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show one image's catalog record: file, metadata, labels, masks.")

    @Argument(help: "Image id, or a file path relative to its import root.") var image: String
    @OptionGroup var catalog: CatalogOptions

    func run() throws {
        let queries = CatalogQueries(catalog: try catalog.open())
        guard let id = try Int64(image) ?? queries.imageId(relativePath: image),
              let details = try queries.imageDetails(id: id) else {
            throw CatalogError(code: .notFound, message: "no image '\(image)' in the catalog (give an id from the catalog or a relative path)")
        }
        let width = details.map(\.name.count).max() ?? 0
        for (name, value) in details { print(name.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value) }
    }
}

/// `cohort failures`: files that could not be imported, with reasons.
struct Failures: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List files an import could not read, with the reason.")

    @OptionGroup var catalog: CatalogOptions
    @Flag(help: "Include DICOM objects without pixel data (reports, presentation states).") var all = false

    func run() throws {
        let failures = try CatalogQueries(catalog: try catalog.open()).failures(includeNonImages: all)
        for f in failures { print("\(f.path)\t\(f.code)\t\(f.message)") }
        printError("\(failures.count) file(s)")
    }
}
