import ArgumentParser
import CohortCatalog
import CohortCore
import CohortData
import CohortImageIO
import Foundation

/// `cohort augment`: see what training sees.
struct Augment: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Look at augmentation before training with it.",
        subcommands: [Preview.self]
    )

    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write a grid of augmented versions of one image (masks tinted red).",
            discussion: """
                The first tile is the prepared image without augmentation. Settings come from the data section \
                of an experiment file (--config) or the flags; --seed picks the draws.

                Example:
                  cohort augment preview 12 --n 16 --out grid.png --config experiment.yaml --task pathology
                """
        )

        @Argument(help: "Image id (see cohort show).") var image: Int64
        @Option(help: "Number of tiles.") var n = 16
        @Option(help: "Output PNG.") var out: String
        @Option(help: ArgumentHelp("Experiment YAML with a data section.", valueName: "file")) var config: String?
        @Option(help: "Label task, for per-class augmentation settings.") var task: String?
        @Option(help: "Seed of the draws.") var seed: UInt64 = 0
        @Option(help: "Rotation range in degrees (without --config).") var rotation = 15.0
        @Option(help: "Horizontal flip probability (without --config).") var flip = 0.5
        @OptionGroup var catalog: CatalogOptions

        func run() throws {
            var settings = try config.map { try DataSettings.load(yamlFile: $0) } ?? DataSettings()
            if config == nil {
                settings.augmentation.rotationDegrees = rotation
                settings.augmentation.horizontalFlip = flip
                settings.augmentation.scale = 0.1
                settings.augmentation.brightness = 0.1
                settings.augmentation.contrast = 0.1
            }
            let dataset = try CatalogDataset.single(catalog: catalog.open(), imageId: image, task: task)
            let provider = SampleProvider(preprocessing: settings.preprocessing, cache: nil)
            let prepared = try provider.prepared(dataset.entries[0])
            let augmenter = Augmenter(policy: settings.augmentation, classes: dataset.classes)
            var samples = [prepared]
            for i in 1..<max(n, 1) {
                var generator = SeededGenerator(seed: seed, stream: UInt64(i))
                samples.append(augmenter.apply(prepared, using: &generator))
            }
            let columns = Int(Double(samples.count).squareRoot().rounded(.up))
            try PNGWriter.write(PreviewGrid.render(samples, columns: columns), to: out)
            print("wrote \(out): \(samples.count) tiles of \(prepared.image.width)x\(prepared.image.height)" +
                  (prepared.mask != nil ? " with the merged mask" : ""))
        }
    }
}
