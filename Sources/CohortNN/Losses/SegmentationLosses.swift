#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif
import Foundation

/// Per-pixel softmax cross-entropy of `[N, C, H, W]` logits against `[N, H, W]` class targets, averaged over all
/// pixels (torch's `cross_entropy` on segmentation outputs).
public func pixelwiseCrossEntropy(_ logits: Tensor, targets: [Int]) -> LossResult {
    let (n, c, hw) = (logits.shape[0], logits.shape[1], logits.shape[2] * logits.shape[3])
    precondition(targets.count == n * hw, "pixelwise cross-entropy: \(targets.count) targets for \(n * hw) pixels")
    var gradient = Tensor(shape: logits.shape)
    var total = 0.0
    let count = Double(n * hw)
    for b in 0..<n {
        for p in 0..<hw {
            var top = -Double.infinity
            for k in 0..<c { top = max(top, Double(logits.data[(b * c + k) * hw + p])) }
            var z = 0.0
            for k in 0..<c { z += exp(Double(logits.data[(b * c + k) * hw + p]) - top) }
            let t = targets[b * hw + p]
            total -= Double(logits.data[(b * c + t) * hw + p]) - top - log(z)
            for k in 0..<c {
                let prob = exp(Double(logits.data[(b * c + k) * hw + p]) - top) / z
                gradient.data[(b * c + k) * hw + p] = Scalar((prob - (k == t ? 1 : 0)) / count)
            }
        }
    }
    return LossResult(value: total / count, gradient: gradient)
}

/// Soft Dice loss `1 - 2 sum(p t) / (sum p + sum t)` of class `index` (softmax probability p over channels) on
/// `[N, C, H, W]` logits and `[N, H, W]` targets (Milletari et al. 2016).
public func softDiceLoss(_ logits: Tensor, targets: [Int], classIndex: Int = 1) -> LossResult {
    let (n, c, hw) = (logits.shape[0], logits.shape[1], logits.shape[2] * logits.shape[3])
    var probabilities = [Double](repeating: 0, count: logits.count)
    for b in 0..<n {
        for p in 0..<hw {
            var top = -Double.infinity
            for k in 0..<c { top = max(top, Double(logits.data[(b * c + k) * hw + p])) }
            var z = 0.0
            for k in 0..<c { z += exp(Double(logits.data[(b * c + k) * hw + p]) - top) }
            for k in 0..<c { probabilities[(b * c + k) * hw + p] = exp(Double(logits.data[(b * c + k) * hw + p]) - top) / z }
        }
    }
    var intersection = 0.0, sumP = 0.0, sumT = 0.0
    for b in 0..<n {
        for p in 0..<hw {
            let prob = probabilities[(b * c + classIndex) * hw + p], t = targets[b * hw + p] == classIndex ? 1.0 : 0.0
            intersection += prob * t
            sumP += prob
            sumT += t
        }
    }
    let denominator = max(sumP + sumT, 1e-12)
    let dice = 2 * intersection / denominator
    var gradient = Tensor(shape: logits.shape)
    for b in 0..<n {
        for p in 0..<hw {
            let t = targets[b * hw + p] == classIndex ? 1.0 : 0.0
            let dDiceDp = (2 * t * denominator - 2 * intersection) / (denominator * denominator)
            let pj = probabilities[(b * c + classIndex) * hw + p]
            for k in 0..<c {
                let pk = probabilities[(b * c + k) * hw + p]
                let dpDlogit = pj * ((k == classIndex ? 1 : 0) - pk)   // softmax Jacobian column of the class
                gradient.data[(b * c + k) * hw + p] = Scalar(-dDiceDp * dpDlogit)
            }
        }
    }
    return LossResult(value: 1 - dice, gradient: gradient)
}
