import CohortCatalog
import Foundation
import Yams

extension TrainingConfiguration {
    public static let monitors = ["loss", "accuracy", "f1", "auc", "dice", "iou"]

    /// The monitored validation value as "lower is better" (metrics negated; an undefined metric never wins).
    public func monitored(_ record: EpochRecord) -> Double {
        switch monitor {
        case "accuracy": return -(record.accuracy ?? -.infinity)
        case "f1": return -(record.f1 ?? -.infinity)
        case "auc": return -(record.auc ?? -.infinity)
        case "dice": return -(record.dice ?? -.infinity)
        case "iou": return -(record.iou ?? -.infinity)
        default: return record.loss
        }
    }

    static let keys: Set<String> = ["name", "split", "train_partition", "validation_partition", "model", "epochs", "batch_size",
                                    "optimizer", "learning_rate", "weight_decay", "step_size", "gamma", "patience", "min_epochs",
                                    "restore_best", "class_weights", "seed", "monitor", "segmentation_loss", "include_classes", "task",
                                    "initial_weights"]

    /// Reads the `training` section of an experiment file (other sections are ignored here); unknown keys are errors.
    public static func load(yamlFile path: String) throws -> TrainingConfiguration {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw TrainingError(message: "cannot read the experiment file", path: path)
        }
        guard let root = try Yams.load(yaml: text) as? [String: Any], let t = root["training"] as? [String: Any] else { return TrainingConfiguration() }
        if let unknown = Set(t.keys).subtracting(keys).sorted().first {
            throw TrainingError(message: "unknown key training.\(unknown); known keys: \(keys.sorted().joined(separator: ", "))", path: path)
        }
        var c = TrainingConfiguration()
        func int(_ k: String) throws -> Int? {
            guard let v = t[k] else { return nil }
            guard let i = v as? Int else { throw TrainingError(message: "training.\(k) must be an integer", path: path) }
            return i
        }
        func double(_ k: String) throws -> Double? {
            guard let v = t[k] else { return nil }
            if let d = v as? Double { return d }
            if let i = v as? Int { return Double(i) }
            throw TrainingError(message: "training.\(k) must be a number", path: path)
        }
        c.name = t["name"] as? String ?? c.name
        c.split = t["split"] as? String ?? c.split
        c.task = t["task"] as? String ?? c.task
        c.trainPartition = t["train_partition"] as? String ?? c.trainPartition
        c.validationPartition = t["validation_partition"] as? String ?? c.validationPartition
        c.model = t["model"] as? String ?? c.model
        c.epochs = try int("epochs") ?? c.epochs
        c.batchSize = try int("batch_size") ?? c.batchSize
        c.optimizer = t["optimizer"] as? String ?? c.optimizer
        c.learningRate = try double("learning_rate") ?? c.learningRate
        c.weightDecay = try double("weight_decay") ?? c.weightDecay
        c.stepSize = try int("step_size") ?? c.stepSize
        c.gamma = try double("gamma") ?? c.gamma
        c.patience = try int("patience") ?? c.patience
        c.minimumEpochs = try int("min_epochs") ?? c.minimumEpochs
        c.restoreBest = t["restore_best"] as? Bool ?? c.restoreBest
        c.classWeights = t["class_weights"] as? Bool ?? c.classWeights
        c.seed = try int("seed").map { UInt64(bitPattern: Int64($0)) } ?? c.seed
        c.monitor = t["monitor"] as? String ?? c.monitor
        c.segmentationLoss = t["segmentation_loss"] as? String ?? c.segmentationLoss
        c.initialWeights = t["initial_weights"] as? String ?? c.initialWeights
        if let include = t["include_classes"] {
            guard let list = include as? [Any] else { throw TrainingError(message: "training.include_classes must be a list of class names", path: path) }
            c.includeClasses = list.map { "\($0)" }
        }
        guard Trainer.segmentationLosses.contains(c.segmentationLoss) else {
            throw TrainingError(message: "training.segmentation_loss is ce, dice or ce+dice, not \(c.segmentationLoss)", path: path)
        }
        guard TrainingConfiguration.monitors.contains(c.monitor) else {
            throw TrainingError(message: "training.monitor is loss, accuracy, f1, auc, dice or iou, not \(c.monitor)", path: path)
        }
        guard ["adam", "adamw", "sgd"].contains(c.optimizer) else {
            throw TrainingError(message: "training.optimizer is adam, adamw or sgd, not \(c.optimizer)", path: path)
        }
        return c
    }
}

/// The one error type of training and scoring.
public struct TrainingError: Error, CustomStringConvertible, Sendable {
    public var message: String, path: String?
    public init(message: String, path: String? = nil) {
        self.message = message
        self.path = path
    }
    public var description: String { path.map { "\($0): \(message)" } ?? message }
}
