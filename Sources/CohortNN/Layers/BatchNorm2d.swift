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
    /// The input of an inference pass, from which a backward pass (gradient checks, saliency) rebuilds the
    /// normalised values that inference does not store.
    private var inferenceInput = Tensor(shape: [0])
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
        let (n, hw, channels, eps, momentum) = (x.shape[0], x.shape[2] * x.shape[3], self.channels, self.eps, self.momentum)
        let m = Scalar(n * hw)
        // Release the previous pass's buffer before allocating (peak memory), and keep normalised values only for a
        // backward pass, which only follows training.
        normalized = Tensor(shape: [0])
        inferenceInput = training ? Tensor(shape: [0]) : GradientRecording.kept(x)
        // Every element is written below (each channel's thread covers all its images and pixels): no zeroing pass.
        var out = Self.uninitialized(x.count), xhat = Self.uninitialized(training ? x.count : 0)
        inverseStd = [Scalar](repeating: 0, count: channels)
        trainedForward = training
        x.data.withUnsafeBufferPointer { xs in
            out.withUnsafeMutableBufferPointer { os in
                xhat.withUnsafeMutableBufferPointer { ns in
                    inverseStd.withUnsafeMutableBufferPointer { invs in
                        runningMean.value.data.withUnsafeMutableBufferPointer { rm in
                            runningVariance.value.data.withUnsafeMutableBufferPointer { rv in
                                weight.value.data.withUnsafeBufferPointer { gammas in
                                    bias.value.data.withUnsafeBufferPointer { betas in
                                        guard let xp = xs.baseAddress, let op = os.baseAddress else { return }
                                        let np = training ? ns.baseAddress : nil  // nothing kept for backward at inference
                                        // Channels in parallel: each owns its elements and statistics.
                                        ComputeThreads.forRanges(channels, minimumChunk: max(1, (1 << 15) / max(n * hw, 1))) { range in
                                            for c in range {
                                                var mean: Scalar, variance: Scalar
                                                if training {
                                                    // Two passes (mean, then squared deviations): E[x^2] - E[x]^2 cancels
                                                    // catastrophically when the values are close together, e.g. the 1x1
                                                    // image-pooling branch of ASPP with a batch of 2.
                                                    var sum: Double = 0
                                                    for b in 0..<n { sum += ChannelSums.sum(xp + (b * channels + c) * hw, hw) }
                                                    let mu = sum / Double(m)
                                                    var squares: Double = 0
                                                    for b in 0..<n { squares += ChannelSums.squaredDeviations(xp + (b * channels + c) * hw, hw, from: mu) }
                                                    mean = Scalar(mu)
                                                    variance = Scalar(squares / Double(m))
                                                    let unbiased = m > 1 ? variance * m / (m - 1) : variance
                                                    rm[c] = (1 - momentum) * rm[c] + momentum * mean
                                                    rv[c] = (1 - momentum) * rv[c] + momentum * unbiased
                                                } else {
                                                    (mean, variance) = (rm[c], rv[c])
                                                }
                                                let inv = 1 / (variance + eps).squareRoot()
                                                invs[c] = inv
                                                let gamma = gammas[c], beta = betas[c]
                                                for b in 0..<n {
                                                    let base = (b * channels + c) * hw
                                                    if let np {
                                                        for i in 0..<hw {
                                                            let normalizedValue = (xp[base + i] - mean) * inv
                                                            np[base + i] = normalizedValue
                                                            op[base + i] = gamma * normalizedValue + beta
                                                        }
                                                    } else {
                                                        for i in 0..<hw { op[base + i] = gamma * ((xp[base + i] - mean) * inv) + beta }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if training { normalized = Tensor(shape: x.shape, data: xhat) }
        if training { batchCount.value.data[0] += 1 }
        return Tensor(shape: x.shape, data: out)
    }

    /// A buffer of `count` values that the caller fills completely before reading any.
    private static func uninitialized(_ count: Int) -> [Scalar] {
        [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let (n, hw, channels, trained) = (gy.shape[0], gy.shape[2] * gy.shape[3], self.channels, trainedForward)
        if !trained && normalized.count != gy.count && inferenceInput.count == gy.count {
            var xhat = inferenceInput
            for b in 0..<n {
                for c in 0..<channels {
                    let base = (b * channels + c) * hw, mean = runningMean.value.data[c], inv = inverseStd[c]
                    for i in 0..<hw { xhat.data[base + i] = (inferenceInput.data[base + i] - mean) * inv }
                }
            }
            normalized = xhat
        }
        let m = Scalar(n * hw)
        var gx = Self.uninitialized(gy.count)  // every element is written below
        gy.data.withUnsafeBufferPointer { gs in
            normalized.data.withUnsafeBufferPointer { ns in
                gx.withUnsafeMutableBufferPointer { gxs in
                    weight.gradient.data.withUnsafeMutableBufferPointer { gw in
                        bias.gradient.data.withUnsafeMutableBufferPointer { gb in
                            weight.value.data.withUnsafeBufferPointer { gammas in
                                inverseStd.withUnsafeBufferPointer { invs in
                                    guard let g = gs.baseAddress, let xh = ns.baseAddress, let out = gxs.baseAddress else { return }
                                    ComputeThreads.forRanges(channels, minimumChunk: max(1, (1 << 15) / max(n * hw, 1))) { range in
                                        for c in range {
                                            // Double sums: the terms largely cancel, and float32 sums over a whole channel lose digits.
                                            var sumG64 = 0.0, sumGX64 = 0.0
                                            for b in 0..<n {
                                                let base = (b * channels + c) * hw
                                                let (sg, sgx) = ChannelSums.sumAndDot(g + base, xh + base, hw)
                                                sumG64 += sg
                                                sumGX64 += sgx
                                            }
                                            let sumG = Scalar(sumG64), sumGX = Scalar(sumGX64)
                                            gw[c] += sumGX
                                            gb[c] += sumG
                                            let scale = gammas[c] * invs[c], meanG = sumG / m, meanGX = sumGX / m
                                            for b in 0..<n {
                                                let base = (b * channels + c) * hw
                                                // Training: the batch statistics depend on x too; inference: a fixed affine map.
                                                if trained {
                                                    for i in 0..<hw { out[base + i] = scale * (g[base + i] - meanG - xh[base + i] * meanGX) }
                                                } else {
                                                    for i in 0..<hw { out[base + i] = scale * g[base + i] }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return Tensor(shape: gy.shape, data: gx)
    }
}

/// Per-channel sums of batch normalisation in double precision, over four interleaved partial sums so the additions
/// do not wait on each other (one running sum made the statistics passes latency-bound). The order is fixed by the
/// element index alone, so results do not depend on the thread count.
enum ChannelSums {
    @inline(__always)
    static func sum(_ x: UnsafePointer<Scalar>, _ count: Int) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= count {
            s0 += Double(x[i]); s1 += Double(x[i + 1]); s2 += Double(x[i + 2]); s3 += Double(x[i + 3])
            i += 4
        }
        while i < count { s0 += Double(x[i]); i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    @inline(__always)
    static func squaredDeviations(_ x: UnsafePointer<Scalar>, _ count: Int, from mean: Double) -> Double {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= count {
            let d0 = Double(x[i]) - mean, d1 = Double(x[i + 1]) - mean, d2 = Double(x[i + 2]) - mean, d3 = Double(x[i + 3]) - mean
            s0 += d0 * d0; s1 += d1 * d1; s2 += d2 * d2; s3 += d3 * d3
            i += 4
        }
        while i < count { let d = Double(x[i]) - mean; s0 += d * d; i += 1 }
        return (s0 + s1) + (s2 + s3)
    }

    /// The sum of `g` and the dot product of `g` and `x`.
    @inline(__always)
    static func sumAndDot(_ g: UnsafePointer<Scalar>, _ x: UnsafePointer<Scalar>, _ count: Int) -> (Double, Double) {
        var (s0, s1, s2, s3) = (0.0, 0.0, 0.0, 0.0), (d0, d1, d2, d3) = (0.0, 0.0, 0.0, 0.0)
        var i = 0
        while i + 4 <= count {
            let g0 = Double(g[i]), g1 = Double(g[i + 1]), g2 = Double(g[i + 2]), g3 = Double(g[i + 3])
            s0 += g0; s1 += g1; s2 += g2; s3 += g3
            d0 += g0 * Double(x[i]); d1 += g1 * Double(x[i + 1]); d2 += g2 * Double(x[i + 2]); d3 += g3 * Double(x[i + 3])
            i += 4
        }
        while i < count { s0 += Double(g[i]); d0 += Double(g[i]) * Double(x[i]); i += 1 }
        return ((s0 + s1) + (s2 + s3), (d0 + d1) + (d2 + d3))
    }
}
