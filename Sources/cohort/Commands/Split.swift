import ArgumentParser
import CohortCatalog
import Foundation

extension SplitGrouping: ExpressibleByArgument {}

/// `cohort split`: partitions without leakage.
struct Split: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, show and check train/validation/test splits (stratified and grouped at once).",
        subcommands: [Create.self, Show.self, Check.self, List.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Split labelled images so that no patient (or group) is in two partitions.",
            discussion: """
                Images of one patient (--group patient, the default), or one study, stay together, and so do \
                images with identical pixels under different names. Within that constraint, each partition's \
                class proportions stay as close to the whole set's as the groups allow. The same catalog, task, \
                ratios and seed always give the same split; the seed and algorithm version are stored with it.

                Examples:
                  cohort split create main --task pathology --ratios 0.72,0.12,0.16 --seed 7
                  cohort split create cv --task pathology --folds 5 --seed 7
                  cohort split create by-study --task birads --ratios 0.8,0.2 --names train,test --group study
                """
        )

        @Argument(help: "Name of the split.") var name: String
        @Option(help: "The label task to stratify by.") var task: String
        @Option(help: ArgumentHelp("Partition ratios, comma-separated.", valueName: "r1,r2,...")) var ratios: String?
        @Option(help: ArgumentHelp("Partition names (default train,validation,test for 3 ratios, train,test for 2).", valueName: "n1,n2,..."))
        var names: String?
        @Option(help: "k for k-fold (instead of --ratios).") var folds: Int?
        @Option(help: "What stays together: patient, study or none (identical pixels always do).") var group: SplitGrouping = .patient
        @Option(help: "Seed for the order of equal-sized groups.") var seed: UInt64 = 0
        @Flag(help: "Replace an existing split of this name.") var replace = false
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            var request: SplitRequest
            if let folds {
                guard ratios == nil, folds >= 2 else { throw ValidationError("--folds K (K >= 2) replaces --ratios") }
                request = .kFold(name: name, task: task, folds: folds)
            } else {
                guard let ratios else { throw ValidationError("give --ratios (e.g. 0.72,0.12,0.16) or --folds K") }
                let values = ratios.split(separator: ",").compactMap { Double($0.trimmingCharacters(in: .whitespaces)) }
                let defaults = values.count == 3 ? ["train", "validation", "test"] : values.count == 2 ? ["train", "test"]
                    : (1...max(values.count, 1)).map { "part\($0)" }
                let partitionNames = names?.split(separator: ",").map { String($0) } ?? defaults
                guard partitionNames.count == values.count else {
                    throw ValidationError("--names has \(partitionNames.count) names for \(values.count) ratios")
                }
                request = SplitRequest(name: name, task: task, partitions: partitionNames, ratios: values)
            }
            request.grouping = group
            request.seed = seed
            let store = SplitStore(catalog: try catalog.open())
            let created = try store.create(request, replace: replace)
            if created.withoutGroupID > 0 {
                printError("""
                    WARNING: \(created.withoutGroupID) of \(created.assigned) images have no \(group.rawValue) ID; they are \
                    grouped only by image and identical pixels, so images of one \(group.rawValue) may still land in \
                    two partitions. (BUSI, for example, has 780 images of about 600 patients and no IDs.)
                    """)
            }
            print("split '\(name)': \(created.assigned) images in \(created.groups) groups" +
                  (created.unlabelled > 0 ? " (\(created.unlabelled) images without a '\(task)' label left out)" : ""))
            SplitTable.print(try store.summary(name: name))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Per-partition class counts, patients and groups.")
        @Argument(help: "Name of the split.") var name: String
        @OptionGroup var catalog: CatalogOptions

        func run() throws { SplitTable.print(try SplitStore(catalog: catalog.open()).summary(name: name)) }
    }

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Verify that no patient, study or duplicate image spans two partitions; exit 1 if any does.")
        @Argument(help: "Name of the split.") var name: String
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            let leaks = try SplitStore(catalog: catalog.open()).leaks(name: name)
            guard !leaks.isEmpty else {
                print("split '\(name)': no patient, study or duplicate pixels in two partitions")
                return
            }
            for leak in leaks {
                print("LEAK: \(leak.count) \(leak.kind) value(s) span partitions, e.g. \(leak.examples.joined(separator: ", "))")
            }
            throw ExitCode(1)
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Names of the splits in the catalog.")
        @OptionGroup var catalog: CatalogOptions
        func run() throws { for name in try SplitStore(catalog: catalog.open()).names() { print(name) } }
    }
}

/// A split as a table: one row per partition, class counts and shares.
enum SplitTable {
    static func print(_ s: SplitSummary) {
        Swift.print("task '\(s.task)', grouped by \(s.grouping), seed \(s.seed), algorithm v\(s.algorithmVersion)")
        let header = ["partition", "target", "images"] + s.classes + ["patients", "groups"]
        var rows = [header]
        let totals = s.classes.map { c in s.partitions.reduce(0) { $0 + ($1.classCounts[c] ?? 0) } }
        for p in s.partitions {
            let classCells = s.classes.map { c -> String in
                let n = p.classCounts[c] ?? 0
                return p.images > 0 ? String(format: "%d (%.1f%%)", n, 100 * Double(n) / Double(p.images)) : "0"
            }
            rows.append([p.name, String(format: "%.1f%%", 100 * p.ratio), "\(p.images)"] + classCells + ["\(p.patients)", "\(p.groups)"])
        }
        let all = totals.reduce(0, +)
        rows.append(["all", "", "\(all)"] + totals.map { String(format: "%d (%.1f%%)", $0, 100 * Double($0) / Double(max(all, 1))) } + ["", ""])
        let widths = header.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        for row in rows {
            Swift.print(row.enumerated().map { $0.element.padding(toLength: widths[$0.offset], withPad: " ", startingAt: 0) }
                .joined(separator: "  "))
        }
    }
}
