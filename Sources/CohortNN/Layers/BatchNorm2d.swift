#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// Batch normalisation over `[N, C, H, W]` per channel (Ioffe & Szegedy 2015), as torch.nn.BatchNorm2d:
/// training normalises with the batch mean and biased variance and updates the running estimates with
/// `momentum` (unbiased variance); inference uses the running estimates.
public final class BatchNorm2d: Module {
    public let channels: Int
    public let eps: Scalar, momentum: Scalar
    public let weight, bias, runningMean, runningVariance, batchCount: Parameter
    private var normalized = Tensor(shape: [0])
    private var inverseStd: [Scalar] = []
    private var trainedForward = false

    public init(_ channels: Int, eps: Scalar = 1e-5, momentum: Scalar = 0.1) {
        (self.channels, self.eps, self.momentum) = (channels, eps, momentum)
        weight = Parameter(Tensor(shape: [channels], repeating: 1), role: .normWeight)
        bias = Parameter(Tensor(shape: [channels]), role: .normBias)
        runningMean = Parameter(Tensor(shape: [channels]), role: .runningMean)
        runningVariance = Parameter(Tensor(shape: [channels], repeating: 1), role: .runningVariance)
        batchCount = Parameter(Tensor(shape: []), role: .batchCount)
    }

    public var state: [(name: String, parameter: Parameter)] {
        [("weight", weight), ("bias", bias), ("running_mean", runningMean), ("running_var", runningVariance),
         ("num_batches_tracked", batchCount)]
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == channels, "BatchNorm2d: input \(x.shape), expected [N, \(channels), H, W]")
        let (n, hw) = (x.shape[0], x.shape[2] * x.shape[3])
        let m = Scalar(n * hw)
        var out = x
        normalized = x
        inverseStd = [Scalar](repeating: 0, count: channels)
        trainedForward = training
        for c in 0..<channels {
            var mean: Scalar, variance: Scalar
            if training {
                // Two passes (mean, then squared deviations): E[x^2] - E[x]^2 cancels catastrophically when the
                // values are close together, e.g. the 1x1 image-pooling branch of ASPP with a batch of 2.
                var sum: Double = 0
                for b in 0..<n { for i in 0..<hw { sum += Double(x.data[(b * channels + c) * hw + i]) } }
                let mu = sum / Double(m)
                var squares: Double = 0
                for b in 0..<n { for i in 0..<hw { let d = Double(x.data[(b * channels + c) * hw + i]) - mu; squares += d * d } }
                mean = Scalar(mu)
                variance = Scalar(squares / Double(m))
                let unbiased = m > 1 ? variance * m / (m - 1) : variance
                runningMean.value.data[c] = (1 - momentum) * runningMean.value.data[c] + momentum * mean
                runningVariance.value.data[c] = (1 - momentum) * runningVariance.value.data[c] + momentum * unbiased
            } else {
                mean = runningMean.value.data[c]
                variance = runningVariance.value.data[c]
            }
            let inv = 1 / (variance + eps).squareRoot()
            inverseStd[c] = inv
            let gamma = weight.value.data[c], beta = bias.value.data[c]
            for b in 0..<n {
                for i in 0..<hw {
                    let k = (b * channels + c) * hw + i
                    let xhat = (x.data[k] - mean) * inv
                    normalized.data[k] = xhat
                    out.data[k] = gamma * xhat + beta
                }
            }
        }
        if training { batchCount.value.data[0] += 1 }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let (n, hw) = (gy.shape[0], gy.shape[2] * gy.shape[3])
        let m = Scalar(n * hw)
        var gx = Tensor(shape: gy.shape)
        for c in 0..<channels {
            // Double sums: the terms largely cancel, and float32 sums over a whole channel lose digits.
            var sumG64 = 0.0, sumGX64 = 0.0
            for b in 0..<n {
                for i in 0..<hw {
                    let k = (b * channels + c) * hw + i
                    sumG64 += Double(gy.data[k])
                    sumGX64 += Double(gy.data[k]) * Double(normalized.data[k])
                }
            }
            let sumG = Scalar(sumG64), sumGX = Scalar(sumGX64)
            weight.gradient.data[c] += sumGX
            bias.gradient.data[c] += sumG
            let scale = weight.value.data[c] * inverseStd[c]
            for b in 0..<n {
                for i in 0..<hw {
                    let k = (b * channels + c) * hw + i
                    // Training: the batch statistics depend on x too; inference: a fixed affine map.
                    gx.data[k] = trainedForward ? scale * (gy.data[k] - sumG / m - normalized.data[k] * sumGX / m) : scale * gy.data[k]
                }
            }
        }
        return gx
    }
}
