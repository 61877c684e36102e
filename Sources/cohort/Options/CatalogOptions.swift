import ArgumentParser
import CohortCatalog

/// `--catalog PATH`, shared by every command that reads or writes a catalog.
struct CatalogOptions: ParsableArguments {
    @Option(name: .customLong("catalog"), help: ArgumentHelp("The catalog file (created when absent).", valueName: "path"))
    var path: String = Catalog.defaultPath

    func open() throws -> Catalog { try Catalog(path: path) }
}
