import CohortCatalog
import CohortTestSupport

/// The catalog the training tests start from: `folder/data` imported, labelled by class folder under `task`, then
/// (after `prepare`, e.g. attaching masks) split 60/20/20 without grouping.
enum FolderCatalog {
    static func make(_ folder: TemporaryFolder, task: String, seed: UInt64, prepare: (Catalog) throws -> Void = { _ in }) throws -> Catalog {
        let catalog = try Catalog(path: folder.file("c.sqlite"))
        _ = try Importer(catalog: catalog, options: ImportOptions(paths: [folder.file("data")])).run()
        _ = try FolderLabels(catalog: catalog).assign(task: task)
        try prepare(catalog)
        var request = SplitRequest(name: "main", task: task, partitions: ["train", "validation", "test"], ratios: [0.6, 0.2, 0.2])
        request.grouping = .none
        request.seed = seed
        _ = try SplitStore(catalog: catalog).create(request)
        return catalog
    }
}
