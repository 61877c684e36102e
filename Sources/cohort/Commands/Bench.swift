import ArgumentParser
import CohortCatalog
import CohortCore
import CohortData
import CohortMetrics
import CohortImageIO
import Foundation

/// `cohort bench`: throughput measurements that scripts under bench/ set against peers in the same run.
struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure throughput (used by the scripts in bench/).",
        subcommands: [Decode.self, BenchData.self, BenchMetrics.self, BenchTrain.self]
    )

    struct Decode: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Decode files repeatedly and print the median images/s.",
            discussion: "Each repetition reads the file from disk and decodes all of its pixels, in this process."
        )

        @Argument(help: "Files to decode.") var files: [String]
        @Option(help: "Repetitions per file (the median is reported).") var repeats = 7
        @Flag(help: "Decode PNG files with libpng only, not Cohort's own PNG decoder (to compare the two).") var libpng = false

        func run() throws {
            for file in files {
                var seconds: [Double] = []
                for _ in 0..<max(repeats, 1) {
                    let start = DispatchTime.now().uptimeNanoseconds
                    var options = ReadOptions()
                    options.pngFastPath = !libpng
                    let image = try ImageFiles.read(path: file, options: options)
                    precondition(image.pixels != nil)
                    seconds.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
                }
                let median = seconds.sorted()[seconds.count / 2]
                print(String(format: "%@\t%.4f\t%.2f", file, median, 1 / median))
            }
        }
    }
}

/// `cohort bench data`: augmented samples per second from a split, epoch by epoch.
struct BenchData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Load augmented batches of a split partition for several epochs and print samples/s per epoch.",
        discussion: "Epoch 1 decodes every image and fills the cache (a fresh temporary folder unless --cache); later epochs read the cache."
    )

    @OptionGroup var catalog: CatalogOptions
    @Option(help: "Split name.") var split: String
    @Option(help: "Partition.") var partition = "train"
    @Option(help: "Epochs.") var epochs = 3
    @Option(help: "Batch size.") var batch = 32
    @Option(help: "Square input size.") var size = 224
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Cache folder (default: a new temporary folder, removed at the end).") var cache: String?
    @Flag(help: "Load masks too (segmentation); by default samples are image + label (classification).") var masks = false

    func run() throws {
        var dataset = try CatalogDataset.load(catalog: catalog.open(), split: split, partition: partition)
        if !masks { dataset = dataset.withoutMasks() }
        var preprocessing = Preprocessing()
        preprocessing.height = size
        preprocessing.width = size
        preprocessing.normalization = .imagenet
        var policy = AugmentationPolicy()
        policy.horizontalFlip = 0.5
        policy.rotationDegrees = 15
        policy.brightness = 0.1
        policy.contrast = 0.1
        var options = LoaderOptions()
        options.batchSize = batch
        options.threads = threads
        let folder = cache ?? NSTemporaryDirectory() + "cohort-bench-cache-\(getpid())"
        defer { if cache == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let loader = try BatchLoader(entries: dataset.entries, classCount: dataset.classes.count,
                                     provider: SampleProvider(preprocessing: preprocessing, cache: SampleCache(folder: folder)),
                                     augmenter: Augmenter(policy: policy, classes: dataset.classes), options: options)
        for epoch in 0..<epochs {
            let start = DispatchTime.now().uptimeNanoseconds
            let iterator = loader.batches(epoch: epoch).makeIterator()
            var count = 0
            while let b = iterator.next() { count += b.samples.count }
            if let error = iterator.error { throw error }
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            print(String(format: "epoch\t%d\t%d\t%.3f\t%.1f", epoch + 1, count, seconds, Double(count) / seconds))
        }
    }
}

/// `cohort bench metrics`: AUC, its DeLong interval and a bootstrap on generated scores.
struct BenchMetrics: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Time AUC alone, and AUC with a DeLong CI plus a bootstrap CI, on generated binary scores.")

    @Option(help: "Samples for AUC alone.") var aucSamples = 10_000_000
    @Option(help: "Samples for the confidence intervals.") var ciSamples = 1_000_000
    @Option(help: "Bootstrap resamples.") var resamples = 1000
    @Option(help: "Repetitions (the median is printed).") var repeats = 3

    func run() throws {
        func data(_ n: Int) -> ([Int], [Double]) {
            var generator = SeededGenerator(seed: 1)
            let labels = (0..<n).map { _ in generator.nextUnit() < 0.3 ? 1 : 0 }
            return (labels, labels.map { generator.nextUnit() + 0.5 * Double($0) })
        }
        func median(_ body: () -> Void) -> Double {
            let times = (0..<max(repeats, 1)).map { _ -> Double in
                let start = DispatchTime.now().uptimeNanoseconds
                body()
                return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            }
            return times.sorted()[times.count / 2]
        }
        let (bigLabels, bigScores) = data(aucSamples)
        var auc = 0.0
        let aucSeconds = median { auc = ROC.auc(labels: bigLabels, scores: bigScores) ?? .nan }
        print(String(format: "auc\t%d\t%.4f\tauc=%.6f", aucSamples, aucSeconds, auc))
        let (labels, scores) = data(ciSamples)
        var text = ""
        let ciSeconds = median {
            let delong = AUCConfidence.delong(labels: labels, scores: scores)!
            let boot = AUCConfidence.bootstrap(labels: labels, scores: scores, resamples: resamples, seed: 1)!
            text = String(format: "auc=%.6f delong=[%.6f, %.6f] bootstrap=[%.6f, %.6f]", delong.estimate, delong.lower, delong.upper, boot.lower, boot.upper)
        }
        print(String(format: "ci\t%d\t%.4f\t%@", ciSamples, ciSeconds, text))
    }
}
