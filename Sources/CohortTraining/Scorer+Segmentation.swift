import CohortCore
import CohortData
import CohortNN
import CohortTensor
import Foundation

/// How a segmentation model's lesion probability map becomes one image-level score (for ROC/AUC next to
/// classifiers).
public enum MaskScore: String, Sendable, CaseIterable {
    /// The highest lesion probability of any pixel.
    case maximum = "max"
    /// The predicted lesion area: the fraction of pixels whose lesion probability is at least 0.5.
    case area
}

/// A segmentation model's output for one image, mapped back onto the original image.
public struct PredictedMask: Sendable {
    /// Lesion probability per pixel of the original image, `[H, W, 1]` in [0, 1].
    public var probability: FloatImage
    /// How the model's input was made from the image (crop, flip, placement; pixel spacing when known).
    public var geometry: PreparedGeometry

    /// The binary mask at `threshold`, row-major.
    public func binary(threshold: Float = 0.5) -> [Bool] { probability.values.map { $0 >= threshold } }
}

extension Scorer {
    /// Whether the checkpoint is a segmentation model (per-pixel logits).
    public var isSegmentation: Bool { metadata["task_output"] == "segmentation" }

    /// Lesion probability maps `[H, W, 1]` at the model's grid: softmax of `[N, 2, H, W]` logits, class 1.
    func lesionProbabilities(_ samples: [Sample]) -> [FloatImage] {
        let logits = GradientRecording.withoutGradients { model.forward(BatchTensors.images(samples), training: false) }
        let (h, w) = (logits.shape[2], logits.shape[3]), hw = h * w
        return (0..<logits.shape[0]).map { b in
            FloatImage(height: h, width: w, channels: 1, values: (0..<hw).map { p in
                let background = logits.data[(b * 2) * hw + p], lesion = logits.data[(b * 2 + 1) * hw + p]
                return 1 / (1 + exp(background - lesion))
            })
        }
    }

    /// Scores one prepared batch with a segmentation model: maps (flip-averaged with TTA) restored to the original
    /// images, an image score each, and the maps handed to `onMask`.
    func segment(_ batch: [(DatasetEntry, (sample: Sample, geometry: PreparedGeometry))], flipAugmentation: Bool, maskScore: MaskScore,
                 onMask: ((ScoredImage, PredictedMask) throws -> Void)?) -> (scored: [ScoredImage], failures: [(path: String, message: String)]) {
        var maps = lesionProbabilities(batch.map(\.1.sample))
        if flipAugmentation {
            let mirrored = lesionProbabilities(batch.map { Self.flipped($0.1.sample) })
            maps = zip(maps, mirrored).map { a, b in
                let back = Resampling.flippedHorizontally(b)
                return FloatImage(height: a.height, width: a.width, channels: 1, values: zip(a.values, back.values).map { ($0 + $1) / 2 })
            }
        }
        var scored: [ScoredImage] = [], failures: [(String, String)] = []
        for ((entry, prepared), map) in zip(batch, maps) {
            let mask = PredictedMask(probability: prepared.geometry.restore(map), geometry: prepared.geometry)
            let score: Double
            switch maskScore {
            case .maximum: score = Double(mask.probability.values.max() ?? 0)
            case .area: score = Double(mask.probability.values.filter { $0 >= 0.5 }.count) / Double(max(mask.probability.values.count, 1))
            }
            let image = ScoredImage(entry: entry, probabilities: [1 - score, score])
            do {
                try onMask?(image, mask)
                scored.append(image)
            } catch {
                failures.append((entry.path, "\(error)"))
            }
        }
        return (scored, failures)
    }
}
