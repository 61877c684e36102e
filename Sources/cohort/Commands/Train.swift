import ArgumentParser
import CohortCatalog
import CohortData
import CohortNN
import CohortTensor
import CohortTraining
import Foundation

/// `cohort train`: a model from the zoo on a split of the catalog.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on a catalog split: history in the catalog, best and last checkpoints, exact resume.",
        discussion: """
            Settings come from an experiment file (--config: its `data` and `training` sections) and from flags, \
            which win. Each epoch records loss, accuracy, macro precision/recall/F1, AUC, learning rate and time for \
            train and validation, in the catalog (table runEpoch) and in FOLDER/history.csv. FOLDER/best.safetensors \
            holds the weights of the epoch with the lowest validation loss, FOLDER/last.safetensors the latest. \
            After a crash or kill, the same command with --resume continues from the last completed epoch and ends \
            with the weights an uninterrupted run would have (same seed).

            Segmentation models (\(ModelZoo.segmenters.sorted().joined(separator: ", "))) learn the catalog's masks \
            (`cohort masks attach`; several masks of an image are merged, an image without one is an empty mask) \
            with --segmentation-loss ce, dice or ce+dice, and record mean per-image Dice and IoU each epoch \
            (--monitor dice keeps the checkpoint with the best validation Dice). --include-classes keeps only \
            images of some classes of the split's task, e.g. benign,malignant for lesion masks.

            Examples:
              cohort train --split main --model unet --size 128 --monitor dice --include-classes benign,malignant
              cohort train --split main --model simple-cnn --epochs 20 --batch-size 8 --learning-rate 1e-3 \\
                  --step-size 7 --patience 2 --min-epochs 5 --config busi.yaml --name busi-cnn
            """
    )

    @OptionGroup var catalog: CatalogOptions
    @Option(help: ArgumentHelp("Experiment YAML with `data` and `training` sections.", valueName: "file")) var config: String?
    @Option(help: "Run name (also the default output folder name).") var name: String?
    @Option(help: "Split name.") var split: String?
    @Option(help: "Train on this task's labels over the split's partitions (default: the split's task), e.g. one made by cohort labels derive.")
    var task: String?
    @Option(help: "Model: \(ModelZoo.names.joined(separator: ", ")).") var model: String?
    @Option(help: "Epochs.") var epochs: Int?
    @Option(help: "Batch size.") var batchSize: Int?
    @Option(help: "Optimizer: adam, adamw or sgd.") var optimizer: String?
    @Option(help: "Learning rate.") var learningRate: Double?
    @Option(help: "StepLR: multiply the rate by --gamma every this many epochs.") var stepSize: Int?
    @Option(help: "Early stopping: epochs without a better validation loss before stopping.") var patience: Int?
    @Option(help: "Early stopping never stops before this many epochs.") var minEpochs: Int?
    @Option(help: "What early stopping and the best checkpoint follow on validation: loss, accuracy, f1, auc, dice or iou.") var monitor: String?
    @Option(help: "Segmentation models: ce, dice or ce+dice (default).") var segmentationLoss: String?
    @Option(help: ArgumentHelp("Only images of these classes of the split's task, comma-separated.", valueName: "c1,c2")) var includeClasses: String?
    @Flag(help: "Weight the loss by inverse class frequency.") var classWeights = false
    @Flag(help: "Draw every class equally often in training epochs (as data.class_balanced: true).") var classBalanced = false
    @Option(help: "Square input size (overrides data.size).") var size: Int?
    @Option(help: "Seed of initialisation, shuffling and augmentation.") var seed: UInt64?
    @Option(help: ArgumentHelp("Start from these weights (safetensors, e.g. a torchvision state dict converted with safetensors.torch.save_file) every tensor must fit the model except a classifier head (fc., classifier., head.) for another class count, which keeps the seeded initialisation.", valueName: "file"))
    var initialWeights: String?
    @Option(help: "Threads for compute and loading (default: all cores). Resume with the same count for identical weights.") var threads: Int?
    @Option(help: ArgumentHelp("Output folder (default catalogs/runs/NAME).", valueName: "folder")) var out: String?
    @Flag(help: "Continue an interrupted run from its last completed epoch.") var resume = false
    @Flag(help: "No progress output.") var quiet = false

    func run() throws {
        var c = try config.map { try TrainingConfiguration.load(yamlFile: $0) } ?? TrainingConfiguration()
        var data = try config.map { try DataSettings.load(yamlFile: $0) } ?? DataSettings()
        c.name = name ?? c.name
        c.split = split ?? c.split
        c.task = task ?? c.task
        c.model = model ?? c.model
        c.epochs = epochs ?? c.epochs
        c.batchSize = batchSize ?? c.batchSize
        c.optimizer = optimizer ?? c.optimizer
        c.learningRate = learningRate ?? c.learningRate
        c.stepSize = stepSize ?? c.stepSize
        c.patience = patience ?? c.patience
        c.minimumEpochs = minEpochs ?? c.minimumEpochs
        c.monitor = monitor ?? c.monitor
        guard TrainingConfiguration.monitors.contains(c.monitor) else {
            throw ValidationError("--monitor is \(TrainingConfiguration.monitors.joined(separator: ", ")), not \(c.monitor)")
        }
        c.segmentationLoss = segmentationLoss ?? c.segmentationLoss
        guard Trainer.segmentationLosses.contains(c.segmentationLoss) else { throw ValidationError("--segmentation-loss is ce, dice or ce+dice") }
        c.includeClasses = includeClasses.map { $0.split(separator: ",").map(String.init) } ?? c.includeClasses
        c.classWeights = classWeights || c.classWeights
        if classBalanced { data.loader.classBalanced = true }
        c.classBalanced = data.loader.classBalanced
        c.seed = seed ?? c.seed
        c.initialWeights = initialWeights ?? c.initialWeights
        c.threads = threads ?? c.threads
        guard c.threads >= 1 else { throw ValidationError("--threads must be at least 1") }
        OneDNNThreads.set(c.threads)
        if let size { (data.preprocessing.height, data.preprocessing.width) = (size, size) }
        c.preprocessing = data.preprocessing.canonicalDescription
        guard ModelZoo.names.contains(c.model) else { throw ValidationError("unknown model '\(c.model)'; the zoo has \(ModelZoo.names.joined(separator: ", "))") }
        let catalog = try catalog.open()
        let folder = out ?? ((catalog.path as NSString).deletingLastPathComponent + "/runs/" + c.name)
        if data.cacheFolder == nil { data.cacheFolder = (catalog.path as NSString).deletingLastPathComponent + "/cache" }
        let bar = ProgressReporter(label: "train")
        var lastEpoch = 0
        let summary = try Trainer(catalog: catalog, configuration: c, data: data, folder: folder).run(resume: resume) { p in
            guard !quiet else { return }
            if p.epoch != lastEpoch { bar.finish(); lastEpoch = p.epoch }
            bar.update(done: p.batch, total: p.batches, elapsed: Double(p.batch) / max(p.samplesPerSecond / Double(c.batchSize), 1e-9),
                       detail: String(format: "epoch %d/%d loss %.4f %.1f samples/s", p.epoch, p.epochs, p.loss, p.samplesPerSecond))
        }
        bar.finish()
        if let skipped = summary.initialWeightsSkipped, let path = c.initialWeights {
            print("initial weights: every tensor from \(path)"
                  + (skipped.isEmpty ? "" : " except the head, initialised for \(c.model)'s class count: \(skipped.joined(separator: ", "))"))
        }
        print("run \(summary.runId) '\(c.name)': \(summary.epochsRun) epoch(s)\(summary.stoppedEarly ? ", stopped early" : "")")
        if let best = summary.best, let dice = best.dice {
            print(String(format: "best epoch %d (by validation %@): validation loss %.4f, mean Dice %.3f, mean IoU %.3f, pixel accuracy %.3f",
                         best.epoch, c.monitor, best.loss, dice, best.iou ?? .nan, best.accuracy ?? .nan))
        } else if let best = summary.best {
            print(String(format: "best epoch %d (by validation %@): validation loss %.4f, accuracy %.3f, macro F1 %.3f, AUC %.3f", best.epoch, c.monitor, best.loss,
                         best.accuracy ?? .nan, best.f1 ?? .nan, best.auc ?? .nan))
        }
        print("checkpoints: \(summary.bestCheckpoint) (best), \(summary.lastCheckpoint) (last); history: \(folder)/history.csv")
    }
}
