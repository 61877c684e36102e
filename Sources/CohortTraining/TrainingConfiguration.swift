import CohortData
import Foundation

/// Everything a training run needs, from flags or an experiment file; recorded with the run as JSON.
public struct TrainingConfiguration: Sendable, Codable {
    public var name = "run"
    public var split = "main"
    /// The task whose labels train the model (nil: the split's own task), e.g. a task derived from it.
    public var task: String? = nil
    public var trainPartition = "train", validationPartition = "validation"
    public var model = "simple-cnn"
    public var epochs = 10
    public var batchSize = 8
    public var optimizer = "adam"          // adam | adamw | sgd
    public var learningRate = 1e-3
    public var weightDecay = 0.0
    public var stepSize: Int? = nil        // StepLR step (epochs), with gamma
    public var gamma = 0.1
    public var patience: Int? = nil        // early stopping on validation loss
    public var minimumEpochs = 1
    public var restoreBest = true
    /// What early stopping and the best checkpoint follow on the validation partition: loss (lower is better),
    /// accuracy, f1 (macro) or auc (higher is better).
    public var monitor = "loss"
    public var classWeights = false        // inverse-frequency weights in the loss (classifiers)
    /// Class-balanced sampling of training epochs (the loader follows the data settings; recorded here with the run).
    public var classBalanced = false
    /// Segmentation models: `ce`, `dice` or `ce+dice` (see ``Trainer/segmentationLosses``).
    public var segmentationLoss = "ce+dice"
    /// Only images labelled with one of these classes of the split's task (nil: all), e.g. the lesion classes.
    public var includeClasses: [String]? = nil
    public var seed: UInt64 = 0
    /// Weights to start from (a safetensors file, e.g. converted from torchvision) instead of the seeded
    /// initialisation; a classifier head for another class count keeps the initialisation. Its SHA-256 is recorded.
    public var initialWeights: String? = nil
    public var initialWeightsSha256: String? = nil
    public var threads = ProcessInfo.processInfo.activeProcessorCount
    /// Preprocessing and augmentation are kept as their canonical text; the objects travel separately.
    public var preprocessing = ""
    public var augmentation = ""

    public init() {}

    public var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
    }
}
