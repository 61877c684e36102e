import CohortCore
import CohortData
import CohortNN
import CohortTensor
import Foundation

/// One image explained: the class, its probability, and the Grad-CAM heat map over the original image.
public struct Explanation: Sendable {
    public var entry: DatasetEntry
    public var className: String
    public var probability: Double
    /// Heat `[H, W, 1]` in [0, 1] at the original image's size (zero outside a foreground crop).
    public var heat: FloatImage
    /// The display image, gray `[H, W, 1]` in [0, 1], at the original size.
    public var display: FloatImage
}

/// Grad-CAM explanations of a classifier checkpoint's decisions, drawn onto the images it was given.
public struct Explainer {
    public let scorer: Scorer
    public let gradCAM: GradCAM

    /// Loads `checkpoint`; `layer` is the target layer's name (default: the last convolutional block).
    public init(checkpoint: String, layer: String? = nil, method: GradCAM.Method = .automatic) throws {
        scorer = try Scorer(checkpoint: checkpoint)
        guard !scorer.isSegmentation else {
            throw TrainingError(message: "this is a segmentation checkpoint: its masks (cohort score) are its explanation; Grad-CAM explains classifiers",
                                path: checkpoint)
        }
        let p = scorer.preprocessing
        gradCAM = try GradCAM(model: scorer.model, layer: layer, input: Tensor(shape: [1, p.outputChannels, p.height, p.width]), method: method)
    }

    /// The explanation of `entry` for class `className` (default: the class the model predicts).
    public func explain(_ entry: DatasetEntry, className: String? = nil) throws -> Explanation {
        let classes = scorer.classes
        var target: Int?
        if let className {
            guard let index = classes.firstIndex(of: className) else {
                throw TrainingError(message: "the model's classes are \(classes.joined(separator: ", ")); there is no '\(className)'")
            }
            target = index
        }
        let provider = SampleProvider(preprocessing: scorer.preprocessing, cache: nil)
        let (display, image, geometry) = try provider.scoringInput(entry)
        let sample = Sample(imageId: entry.imageId, image: image, label: nil)
        let sigmoid = scorer.metadata["task_output"] == "sigmoid"
        // Sigmoid models have one logit: class index 1 of [negative, positive] is that logit's positive class.
        let (maps, explained, logits) = gradCAM.heatmaps(BatchTensors.images([sample]), classes: target.map { [$0] }, sigmoid: sigmoid)
        let probabilities = Trainer.probabilities(logits, binary: sigmoid, classes: sigmoid ? 1 : classes.count)[0]
        let k = explained[0]
        return Explanation(entry: entry, className: classes.indices.contains(k) ? classes[k] : String(k),
                           probability: probabilities.indices.contains(k) ? probabilities[k] : .nan,
                           heat: geometry.restore(maps[0]), display: Normalizer.toGray(display))
    }
}
