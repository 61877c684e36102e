import CohortCatalog
import CohortCore
import CohortData
import CohortMetrics
import CohortNN
import CohortTensor
import Foundation

/// Progress of training, reported after each batch.
public struct TrainingProgress: Sendable {
    public var epoch: Int, epochs: Int, batch: Int, batches: Int
    public var loss: Double, samplesPerSecond: Double
}

/// What a finished run reports.
public struct TrainingSummary: Sendable {
    public var runId: Int64
    public var epochsRun: Int
    public var bestEpoch: Int
    public var best: EpochRecord?
    public var stoppedEarly: Bool
    public var bestCheckpoint: String, lastCheckpoint: String
    /// With initial weights: the head tensors left initialised because the file has them for another class count.
    public var initialWeightsSkipped: [String]?
}

/// Trains a zoo model on a split of a catalog: seeded, checkpointed every epoch (best and last), history in the
/// catalog and a CSV, resumable from the last completed epoch with identical final weights.
public final class Trainer {
    let catalog: Catalog
    let configuration: TrainingConfiguration
    let data: DataSettings
    let folder: String

    /// `folder` receives `last.safetensors`, `best.safetensors` and `history.csv`.
    public init(catalog: Catalog, configuration: TrainingConfiguration, data: DataSettings, folder: String) {
        self.catalog = catalog
        self.configuration = configuration
        self.data = data
        self.folder = folder
    }

    public func run(resume: Bool = false, progress: (TrainingProgress) -> Void = { _ in }) throws -> TrainingSummary {
        var c = configuration
        let segmentation = ModelZoo.segmenters.contains(c.model)
        func load(_ partition: String) throws -> CatalogDataset {
            let dataset = try CatalogDataset.load(catalog: catalog, split: c.split, partition: partition, task: c.task)
                .restricted(to: c.includeClasses)
            return segmentation ? dataset : dataset.withoutMasks()
        }
        let train = try load(c.trainPartition), validation = try load(c.validationPartition)
        guard !train.entries.isEmpty else {
            throw TrainingError(message: "the '\(c.trainPartition)' partition of split '\(c.split)' has no images\(c.includeClasses == nil ? "" : " of the included classes")")
        }
        let classes = train.classes
        let binaryOutput = c.model == "mammo-cnn"
        let p = data.preprocessing
        let model = try ModelZoo.make(c.model, channels: p.outputChannels, height: p.height, width: p.width,
                                      classes: segmentation ? 2 : classes.count)
        WeightInitialization.kaimingUniform(model, seed: c.seed)
        model.skipsInputGradient()  // the gradient with respect to the images is never read
        // The file is read once: its SHA-256 goes into the run's configuration, its tensors into the model.
        var initialLoad: [String]?
        if let path = c.initialWeights {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw TrainingError(message: "cannot read the initial weights; give a safetensors file", path: path)
            }
            c.initialWeightsSha256 = SHA256.hex([UInt8](data))
            do {
                initialLoad = try Checkpoint.read(data: data, path: path).loadForFineTuning(into: model)
            } catch let error as Checkpoint.LoadError {
                throw TrainingError(message: "initial weights: \(error.message)", path: path)
            }
        }
        let optimizer = OptimizerState.make(c, parameters: model.parameters)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let cache = data.cacheFolder.map { SampleCache(folder: $0) }
        var loaderOptions = data.loader
        (loaderOptions.batchSize, loaderOptions.seed, loaderOptions.threads) = (c.batchSize, c.seed, c.threads)
        let trainLoader = try BatchLoader(entries: train.entries, classCount: classes.count,
                                          provider: SampleProvider(preprocessing: p, cache: cache),
                                          augmenter: Augmenter(policy: data.augmentation, classes: classes), options: loaderOptions)
        var validationOptions = loaderOptions
        validationOptions.shuffle = false
        validationOptions.classBalanced = false
        let validationLoader = try BatchLoader(entries: validation.entries, classCount: classes.count,
                                               provider: SampleProvider(preprocessing: p, cache: cache), augmenter: nil, options: validationOptions)
        let weights = c.classWeights ? Self.inverseFrequency(train.entries.compactMap(\.label), classes: classes.count) : nil
        let store = RunStore(catalog: catalog)
        var startEpoch = 0, bestLoss = Double.infinity, bestEpoch = 0, badEpochs = 0
        var runId: Int64
        if resume, let previous = try store.latest(name: c.name), let state = try ResumeState.load(folder: folder, model: model, optimizer: optimizer) {
            runId = previous
            (startEpoch, bestLoss, bestEpoch, badEpochs) = (state.nextEpoch, state.bestLoss, state.bestEpoch, state.badEpochs)
        } else {
            runId = try store.begin(name: c.name, kind: "train", configuration: c.json, split: c.split, task: nil, model: c.model,
                                    seed: c.seed, inputHash: Self.inputHash(train.entries + validation.entries), folder: folder)
        }
        var stoppedEarly = false, epoch = startEpoch
        while epoch < c.epochs {
            let rate = c.stepSize.map { Schedule.step(stepSize: $0, gamma: c.gamma) } ?? .constant
            optimizer.setRate(rate.rate(epoch: epoch, base: c.learningRate))
            var dropoutSeed = SeededGenerator(seed: c.seed, stream: 0xD0, UInt64(epoch))
            Dropouts.reseed(model, seed: dropoutSeed.next())
            let start = DispatchTime.now().uptimeNanoseconds
            let trainRecord = segmentation
                ? try segmentationPass(model, trainLoader, epoch: epoch, training: true, optimizer: optimizer, progress: progress)
                : try pass(model, trainLoader, epoch: epoch, training: true, optimizer: optimizer, weights: weights,
                           binary: binaryOutput, classes: classes.count, progress: progress)
            var record = trainRecord
            record.learningRate = optimizer.rate
            record.seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            try store.record(run: runId, record)
            let validationRecord = segmentation
                ? try segmentationPass(model, validationLoader, epoch: epoch, training: false, optimizer: nil, progress: { _ in })
                : try pass(model, validationLoader, epoch: epoch, training: false, optimizer: nil, weights: nil,
                           binary: binaryOutput, classes: classes.count, progress: { _ in })
            try store.record(run: runId, validationRecord)
            if c.monitored(validationRecord) < bestLoss {
                (bestLoss, bestEpoch, badEpochs) = (c.monitored(validationRecord), epoch + 1, 0)
                try Checkpoint(model: model, metadata: metadata(classes: classes, epoch: epoch, run: runId)).write(to: folder + "/best.safetensors")
            } else {
                badEpochs += 1
            }
            try Checkpoint(model: model, metadata: metadata(classes: classes, epoch: epoch, run: runId)).write(to: folder + "/last.safetensors")
            try ResumeState(nextEpoch: epoch + 1, bestLoss: bestLoss, bestEpoch: bestEpoch, badEpochs: badEpochs)
                .save(folder: folder, model: model, optimizer: optimizer)
            epoch += 1
            if let patience = c.patience, epoch >= c.minimumEpochs, badEpochs > patience { stoppedEarly = true; break }
        }
        if c.restoreBest, FileManager.default.fileExists(atPath: folder + "/best.safetensors") {
            try Checkpoint.read(from: folder + "/best.safetensors").load(into: model)
        }
        let history = try store.history(run: runId)
        try HistoryCSV.write(history, to: folder + "/history.csv")
        try store.finish(run: runId, status: stoppedEarly ? "stopped" : "finished", bestEpoch: bestEpoch)
        let best = history.first { $0.epoch == bestEpoch && $0.phase == "validation" }
        return TrainingSummary(runId: runId, epochsRun: epoch, bestEpoch: bestEpoch, best: best, stoppedEarly: stoppedEarly,
                               bestCheckpoint: folder + "/best.safetensors", lastCheckpoint: folder + "/last.safetensors",
                               initialWeightsSkipped: initialLoad)
    }

    private func metadata(classes: [String], epoch: Int, run: Int64) -> [String: String] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let preprocessingJSON = (try? String(decoding: encoder.encode(data.preprocessing), as: UTF8.self)) ?? ""
        let segmentation = ModelZoo.segmenters.contains(configuration.model)
        let output = segmentation ? "segmentation" : configuration.model == "mammo-cnn" ? "sigmoid" : "softmax"
        return ["architecture": configuration.model, "classes": segmentation ? "background,lesion" : classes.joined(separator: ","),
         "task_classes": classes.joined(separator: ","), "epoch": String(epoch), "task": configuration.task ?? "",
         "preprocessing_json": preprocessingJSON, "task_output": output,
         "preprocessing": data.preprocessing.canonicalDescription, "input": "\(data.preprocessing.outputChannels)x\(data.preprocessing.height)x\(data.preprocessing.width)",
         "run_name": configuration.name, "run_id": String(run), "split": configuration.split, "seed": String(configuration.seed),
         "tool_version": CohortVersion.string]
    }

    /// One pass over a loader: training updates the model; both return loss and metrics.
    private func pass(_ model: Module, _ loader: BatchLoader, epoch: Int, training: Bool, optimizer: OptimizerState?, weights: [Float]?,
                      binary: Bool, classes: Int, progress: (TrainingProgress) -> Void) throws -> EpochRecord {
        let iterator = loader.batches(epoch: epoch).makeIterator()
        var totalLoss = 0.0, count = 0, labels: [Int] = [], scores: [[Double]] = []
        let start = DispatchTime.now().uptimeNanoseconds
        while let batch = iterator.next() {
            let x = BatchTensors.images(batch.samples)
            let y = batch.labels
            // Validation passes keep nothing for a backward pass (lower peak memory).
            let logits = training ? model.forward(x, training: true) : GradientRecording.withoutGradients { model.forward(x, training: false) }
            let loss = binary ? binaryCrossEntropyWithLogits(logits, targets: y.map(Float.init))
                : softmaxCrossEntropy(logits, labels: y, classWeights: weights)
            if training, let optimizer {
                model.zeroGradients()
                _ = model.backward(loss.gradient)
                // mammo-cnn's paper puts an L2 penalty of 0.1 on its 128-unit dense kernel (Keras kernel_regularizer).
                if configuration.model == "mammo-cnn" {
                    Gradients.addL2Penalty(model.state.filter { $0.name == "classifier.1.weight" }.map(\.parameter), factor: 0.1)
                }
                optimizer.update()
            }
            totalLoss += loss.value * Double(y.count)
            count += y.count
            labels += y
            scores += Self.probabilities(logits, binary: binary, classes: classes)
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress(TrainingProgress(epoch: epoch + 1, epochs: configuration.epochs, batch: batch.index + 1, batches: loader.batchesPerEpoch,
                                      loss: totalLoss / Double(count), samplesPerSecond: Double(count) / max(seconds, 1e-9)))
        }
        if let error = iterator.error { throw error }
        let k = binary ? 2 : classes
        let predicted = scores.map { row in row.indices.max { row[$0] < row[$1] } ?? 0 }
        let report = ClassificationReport(ConfusionMatrix(truth: labels, predicted: predicted, classCount: k))
        let auc = k == 2 ? ROC.auc(labels: labels, scores: scores.map { $0[1] }) : ROC.oneVsRestAUC(labels: labels, probabilities: scores, weighted: false)
        return EpochRecord(epoch: epoch + 1, phase: training ? "train" : "validation", loss: count > 0 ? totalLoss / Double(count) : .nan,
                           accuracy: report.accuracy, precision: report.macro.precision, recall: report.macro.recall, f1: report.macro.f1, auc: auc)
    }

    /// Class probabilities per sample: sigmoid of a single logit (as [1 - p, p]) or softmax over classes.
    static func probabilities(_ logits: Tensor, binary: Bool, classes: Int) -> [[Double]] {
        if binary {
            return logits.data.map { value -> [Double] in
                let p = 1 / (1 + exp(-Double(value)))
                return [1 - p, p]
            }
        }
        let probabilities = softmax(logits.reshaped([logits.count / classes, classes]))
        return stride(from: 0, to: probabilities.count, by: classes).map { i in probabilities.data[i..<(i + classes)].map(Double.init) }
    }

    static func inverseFrequency(_ labels: [Int], classes: Int) -> [Float] {
        var counts = [Int](repeating: 0, count: classes)
        for l in labels { counts[l] += 1 }
        return counts.map { $0 > 0 ? Float(labels.count) / Float(classes * $0) : 0 }
    }

    static func inputHash(_ entries: [DatasetEntry]) -> String {
        SHA256.hex(Array(entries.map(\.contentKey).sorted().joined(separator: "\n").utf8))
    }
}
