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
    var gradient = Tensor.uninitialized(logits.shape)  // every value is written below
    let count = Double(n * hw)
    // Images in parallel, each with its own sum in double; the sums are added in image order, so the loss does not
    // depend on the thread count. Each pixel's exponentials are taken once.
    var totals = [Double](repeating: 0, count: n)
    logits.data.withUnsafeBufferPointer { ls in
        gradient.data.withUnsafeMutableBufferPointer { gs in
            targets.withUnsafeBufferPointer { ts in
                totals.withUnsafeMutableBufferPointer { sums in
                    guard let l = ls.baseAddress, let g = gs.baseAddress, let t = ts.baseAddress, let total = sums.baseAddress, c > 0 else { return }
                    ComputeThreads.forRanges(n, minimumChunk: 1) { images in
                        var exps = [Double](repeating: 0, count: c)
                        for b in images {
                            var sum = 0.0
                            for p in 0..<hw {
                                var top = -Double.infinity
                                for k in 0..<c { top = max(top, Double(l[(b * c + k) * hw + p])) }
                                var z = 0.0
                                for k in 0..<c {
                                    exps[k] = exp(Double(l[(b * c + k) * hw + p]) - top)
                                    z += exps[k]
                                }
                                let target = t[b * hw + p]
                                precondition(target >= 0 && target < c, "pixelwise cross-entropy: target \(target) for \(c) classes")
                                sum -= Double(l[(b * c + target) * hw + p]) - top - log(z)
                                for k in 0..<c { g[(b * c + k) * hw + p] = Scalar((exps[k] / z - (k == target ? 1 : 0)) / count) }
                            }
                            total[b] = sum
                        }
                    }
                }
            }
        }
    }
    return LossResult(value: totals.reduce(0, +) / count, gradient: gradient)
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
