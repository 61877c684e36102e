#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif
import Foundation

/// A loss value and its gradient with respect to the logits.
public struct LossResult: Sendable {
    public var value: Double
    public var gradient: Tensor
}

/// Softmax cross-entropy over `[N, C]` logits and class indices, averaged over samples (torch's
/// `cross_entropy`): optional class weights (weighted mean, as PyTorch) and label smoothing `epsilon`.
public func softmaxCrossEntropy(_ logits: Tensor, labels: [Int], classWeights: [Scalar]? = nil, labelSmoothing: Scalar = 0) -> LossResult {
    precondition(logits.shape.count == 2 && logits.shape[0] == labels.count, "cross-entropy: logits \(logits.shape) for \(labels.count) labels")
    let (n, c) = (logits.shape[0], logits.shape[1])
    var gradient = Tensor(shape: logits.shape)
    var total = 0.0, weightSum = 0.0
    for b in 0..<n {
        let row = logits.data[(b * c)..<((b + 1) * c)].map { Double($0) }
        let top = row.max() ?? 0
        let exps = row.map { exp($0 - top) }
        let z = exps.reduce(0, +)
        let logProbs = row.map { $0 - top - log(z) }
        let w = Double(classWeights?[labels[b]] ?? 1)
        // Target distribution: (1 - eps) on the label plus eps / C everywhere.
        let eps = Double(labelSmoothing)
        var sampleLoss = 0.0
        for k in 0..<c {
            let target = (k == labels[b] ? 1 - eps : 0) + eps / Double(c)
            let classWeight = Double(classWeights?[k] ?? 1)
            sampleLoss -= target * logProbs[k] * (labelSmoothing > 0 ? classWeight : 1)
        }
        if labelSmoothing == 0 { sampleLoss *= w }
        total += sampleLoss
        weightSum += w
        for k in 0..<c {
            let p = exps[k] / z
            let target = (k == labels[b] ? 1 - eps : 0) + eps / Double(c)
            gradient.data[b * c + k] = Scalar(labelSmoothing == 0 ? w * (p - target) : (p - target))
        }
    }
    let denominator = classWeights != nil && labelSmoothing == 0 ? weightSum : Double(n)
    for i in gradient.data.indices { gradient.data[i] /= Scalar(denominator) }
    return LossResult(value: total / denominator, gradient: gradient)
}

/// Binary cross-entropy with logits over `[N, 1]` (or `[N]`) and 0/1 targets, averaged; `positiveWeight`
/// multiplies the positive term (torch's `pos_weight`). Computed stably: max(x,0) - x t + log(1 + e^-|x|).
public func binaryCrossEntropyWithLogits(_ logits: Tensor, targets: [Scalar], positiveWeight: Scalar = 1) -> LossResult {
    precondition(logits.count == targets.count, "BCE: \(logits.count) logits for \(targets.count) targets")
    var gradient = Tensor(shape: logits.shape)
    var total = 0.0
    let n = Double(targets.count), pw = Double(positiveWeight)
    for i in targets.indices {
        let x = Double(logits.data[i]), t = Double(targets[i])
        let logSigmoid = -(max(-x, 0) + log(1 + exp(-abs(x))))       // log sigma(x)
        let logOneMinus = -(max(x, 0) + log(1 + exp(-abs(x))))       // log(1 - sigma(x))
        total += -(pw * t * logSigmoid + (1 - t) * logOneMinus)
        let s = 1 / (1 + exp(-x))
        gradient.data[i] = Scalar((pw * t * (s - 1) + (1 - t) * s) / n)
    }
    return LossResult(value: total / n, gradient: gradient)
}
