import CohortCore
import CohortData
import CohortImageIO
import CohortIsolation
import CohortNN
import CohortTensor
import Foundation

/// One scored image.
public struct ScoredImage: Sendable {
    public var entry: DatasetEntry
    /// Class probabilities, in the checkpoint's class order.
    public var probabilities: [Double]
}

/// Scores images with a checkpoint: preprocessing as recorded in it, batches on all cores, optional flip
/// test-time augmentation; unreadable files are collected, never fatal.
public struct Scorer {
    public let model: Module
    public let classes: [String]
    public let preprocessing: Preprocessing
    /// The checkpoint's metadata (architecture, classes, run name and id, split, seed...).
    public let metadata: [String: String]
    let sigmoidOutput: Bool

    /// Loads `checkpoint` (written by `cohort train`).
    public init(checkpoint path: String) throws {
        let checkpoint: Checkpoint
        do { checkpoint = try Checkpoint.read(from: path) } catch { throw TrainingError(message: "\(error)", path: path) }
        let m = checkpoint.metadata
        metadata = m
        guard let architecture = m["architecture"], let classList = m["classes"], let json = m["preprocessing_json"],
              let settings = try? JSONDecoder().decode(Preprocessing.self, from: Data(json.utf8)) else {
            throw TrainingError(message: "the checkpoint lacks Cohort's metadata (architecture, classes, preprocessing); was it written by cohort train?", path: path)
        }
        preprocessing = settings
        classes = classList.split(separator: ",").map(String.init)
        sigmoidOutput = m["task_output"] == "sigmoid"
        model = try ModelZoo.make(architecture, channels: settings.outputChannels, height: settings.height, width: settings.width,
                                  classes: classes.count)
        try checkpoint.load(into: model, architecture: architecture)
    }

    /// Scores `entries` in batches of `batchSize`; returns scores in input order and the failures.
    /// With `isolation`, images are read and prepared in its worker processes (answering ``IsolatedSamples``), so a
    /// decoder that crashes or hangs on one image costs that image only. A segmentation checkpoint's image score is
    /// derived from its lesion probability map (`maskScore`); each map, at the original image's size, is handed to
    /// `onMask` as soon as it is computed (nothing accumulates), and an error there becomes that image's failure.
    public func score(_ entries: [DatasetEntry], batchSize: Int = 16, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                      flipAugmentation: Bool = false, isolation: WorkerPool? = nil, maskScore: MaskScore = .maximum,
                      onMask: ((ScoredImage, PredictedMask) throws -> Void)? = nil,
                      progress: (Int, Int) -> Void = { _, _ in }) -> (scored: [ScoredImage], failures: [(path: String, message: String)]) {
        let provider = SampleProvider(preprocessing: preprocessing, cache: nil)
        var scored: [ScoredImage] = [], failures: [(String, String)] = []
        var done = 0
        let starts = Array(stride(from: 0, to: entries.count, by: max(batchSize, 1)))
        typealias Prepared = (sample: Sample, geometry: PreparedGeometry)
        // The next batch is read and prepared while the model scores this one.
        func prepare(_ k: Int) -> Prefetch<(batch: [DatasetEntry], results: [Result<Prepared, Error>])> {
            let batch = Array(entries[starts[k]..<min(starts[k] + batchSize, entries.count)])
            return Prefetch {
                (batch, ParallelMap.map(batch, threads: threads) { entry in
                    Result { () -> Prepared in
                        let (image, geometry) = try isolation.map { try IsolatedSamples.finishedImage(entry, preprocessing: preprocessing, pool: $0) }
                            ?? provider.finishedForScoring(entry)
                        return (Sample(imageId: entry.imageId, image: image, label: entry.label), geometry)
                    }
                })
            }
        }
        var next = starts.isEmpty ? nil : prepare(0)
        for k in starts.indices {
            let (batch, prepared) = next!.value()
            next = k + 1 < starts.count ? prepare(k + 1) : nil
            var good: [(DatasetEntry, Prepared)] = []
            for (entry, result) in zip(batch, prepared) {
                switch result {
                case .success(let s): good.append((entry, s))
                case .failure(let error): failures.append((entry.path, "\(error)"))
                }
            }
            if !good.isEmpty && isSegmentation {
                let outcome = segment(good, flipAugmentation: flipAugmentation, maskScore: maskScore, onMask: onMask)
                scored += outcome.scored
                failures += outcome.failures
            } else if !good.isEmpty {
                var probabilities = predict(good.map(\.1.sample))
                if flipAugmentation {
                    probabilities = zip(probabilities, predict(good.map { Self.flipped($0.1.sample) })).map { a, b in zip(a, b).map { ($0 + $1) / 2 } }
                }
                scored += zip(good, probabilities).map { ScoredImage(entry: $0.0.0, probabilities: $0.1) }
            }
            done += batch.count
            progress(done, entries.count)
        }
        return (scored, failures)
    }

    static func flipped(_ sample: Sample) -> Sample {
        var s = sample
        s.image = Resampling.flippedHorizontally(s.image)
        return s
    }

    private func predict(_ samples: [Sample]) -> [[Double]] {
        // Nothing follows for a backward pass: each layer lets go of its input as soon as it is used.
        let logits = GradientRecording.withoutGradients { model.forward(BatchTensors.images(samples), training: false) }
        return Trainer.probabilities(logits, binary: sigmoidOutput, classes: sigmoidOutput ? 1 : classes.count)
    }

    /// Entries for every image file under `folder` (no catalog): laterality and study from DICOM headers, read in
    /// the workers of `isolation` when given.
    public static func entries(folder: String, isolation: WorkerPool? = nil) -> [DatasetEntry] {
        let base = URL(fileURLWithPath: folder).standardizedFileURL.path
        let paths = (FileManager.default.enumerator(atPath: base)?.allObjects as? [String] ?? []).sorted()
            .map { base + "/" + $0 }
        let facts = ParallelMap.map(paths, threads: ProcessInfo.processInfo.activeProcessorCount) { path in
            isolation.map { IsolatedSamples.headerFacts(path: path, pool: $0) } ?? IsolatedSamples.headerFacts(path: path)
        }
        return zip(paths, facts).filter { $0.1.isImage }.enumerated().map { index, item in
            DatasetEntry(imageId: Int64(index), path: item.0, label: nil, laterality: item.1.laterality, maskPaths: [],
                         contentKey: "file:" + item.0, study: item.1.studyInstanceUID)
        }
    }

    /// The `index`-th of `count` shards of `entries` (every count-th entry, so shards are balanced).
    public static func shard(_ entries: [DatasetEntry], index: Int, count: Int) -> [DatasetEntry] {
        entries.enumerated().filter { $0.offset % count == index }.map(\.element)
    }
}
