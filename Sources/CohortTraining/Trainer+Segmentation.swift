import CohortCatalog
import CohortCore
import CohortData
import CohortMetrics
import CohortNN
import CohortTensor
import Foundation

/// Segmentation training: the catalog's masks are the targets.
extension Trainer {
    /// Losses a segmentation run can minimise: pixelwise cross-entropy, soft Dice of the lesion class, or their sum.
    public static let segmentationLosses = ["ce", "dice", "ce+dice"]

    /// Per-pixel class targets `[N, H, W]` (1 lesion, 0 background) of a batch; an image without a mask counts
    /// as an empty mask.
    static func maskTargets(_ samples: [Sample]) -> [Int] {
        samples.flatMap { s -> [Int] in
            guard let mask = s.mask else { return [Int](repeating: 0, count: s.image.height * s.image.width) }
            return mask.values.map { $0 > 0.5 ? 1 : 0 }
        }
    }

    /// The configured loss of `[N, 2, H, W]` logits against `targets`.
    static func segmentationLoss(_ logits: Tensor, targets: [Int], kind: String) -> LossResult {
        switch kind {
        case "ce": return pixelwiseCrossEntropy(logits, targets: targets)
        case "dice": return softDiceLoss(logits, targets: targets)
        default:
            var total = pixelwiseCrossEntropy(logits, targets: targets)
            let dice = softDiceLoss(logits, targets: targets)
            total.value += dice.value
            total.gradient.add(dice.gradient)
            return total
        }
    }

    /// Lesion masks predicted by `[N, 2, H, W]` logits: lesion where its logit exceeds the background's.
    static func predictedMasks(_ logits: Tensor) -> [[Bool]] {
        let (n, hw) = (logits.shape[0], logits.shape[2] * logits.shape[3])
        return (0..<n).map { b in (0..<hw).map { p in logits.data[(b * 2 + 1) * hw + p] > logits.data[(b * 2) * hw + p] } }
    }

    /// One pass of a segmentation model over a loader: loss, pixel accuracy, and mean per-image Dice and IoU.
    func segmentationPass(_ model: Module, _ loader: BatchLoader, epoch: Int, training: Bool, optimizer: OptimizerState?,
                          progress: (TrainingProgress) -> Void) throws -> EpochRecord {
        let iterator = loader.batches(epoch: epoch).makeIterator()
        var totalLoss = 0.0, count = 0, correct = 0, pixels = 0, dice = 0.0, iou = 0.0
        let start = DispatchTime.now().uptimeNanoseconds
        while let batch = iterator.next() {
            let targets = Self.maskTargets(batch.samples)
            let images = BatchTensors.images(batch.samples)
            let logits = training ? model.forward(images, training: true) : GradientRecording.withoutGradients { model.forward(images, training: false) }
            let loss = Self.segmentationLoss(logits, targets: targets, kind: configuration.segmentationLoss)
            if training, let optimizer {
                model.zeroGradients()
                _ = model.backward(loss.gradient)
                optimizer.update()
            }
            let hw = logits.shape[2] * logits.shape[3]
            for (b, predicted) in Self.predictedMasks(logits).enumerated() {
                let truth = targets[(b * hw)..<((b + 1) * hw)].map { $0 == 1 }
                let o = SegmentationMetrics.overlap(reference: truth, predicted: predicted)
                (dice, iou) = (dice + o.dice, iou + o.iou)
                correct += zip(predicted, truth).filter { $0 == $1 }.count
            }
            pixels += targets.count
            totalLoss += loss.value * Double(batch.samples.count)
            count += batch.samples.count
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            progress(TrainingProgress(epoch: epoch + 1, epochs: configuration.epochs, batch: batch.index + 1, batches: loader.batchesPerEpoch,
                                      loss: totalLoss / Double(count), samplesPerSecond: Double(count) / max(seconds, 1e-9)))
        }
        if let error = iterator.error { throw error }
        let n = Double(max(count, 1))
        return EpochRecord(epoch: epoch + 1, phase: training ? "train" : "validation", loss: count > 0 ? totalLoss / n : .nan,
                           accuracy: pixels > 0 ? Double(correct) / Double(pixels) : nil, dice: count > 0 ? dice / n : nil,
                           iou: count > 0 ? iou / n : nil)
    }
}

extension CatalogDataset {
    /// The entries whose label is one of `classes` (all of them when `classes` is nil); an unknown class name is
    /// an error listing the task's classes.
    public func restricted(to classes: [String]?) throws -> CatalogDataset {
        guard let classes else { return self }
        if let unknown = classes.first(where: { !self.classes.contains($0) }) {
            throw TrainingError(message: "include_classes names '\(unknown)', which is not a class of the split's task (\(self.classes.joined(separator: ", ")))")
        }
        let keep = Set(classes.compactMap { self.classes.firstIndex(of: $0) })
        var copy = self
        copy.entries = entries.filter { $0.label.map(keep.contains) ?? false }
        return copy
    }
}
