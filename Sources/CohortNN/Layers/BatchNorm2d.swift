#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
import CCohortKernels
#endif

/// Batch normalisation over `[N, C, H, W]` per channel (Ioffe & Szegedy 2015), as torch.nn.BatchNorm2d:
/// training normalises with the batch mean and biased variance and updates the running estimates with
/// `momentum` (unbiased variance); inference uses the running estimates.
public final class BatchNorm2d: Module {
    public let channels: Int
    public let eps: Scalar, momentum: Scalar
    public let weight, bias, runningMean, runningVariance, batchCount: Parameter
    /// The input of the last forward pass, for the backward pass, which rebuilds the normalised values from it
    /// (keeping the input costs nothing extra, where writing the normalised copy was a whole pass over memory).
    var input = Tensor(shape: [0])
    /// The mean and 1 / sqrt(variance + eps) the last forward pass normalised with (batch or running statistics).
    var means: [Scalar] = [], inverseStd: [Scalar] = []
    var trainedForward = false

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

    public func forward(_ x: Tensor, training: Bool) -> Tensor { forward(x, training: training, then: nil) }

    /// The forward pass, and with `relu` that ReLU's too, in the same pass over memory: the output is clamped
    /// here and the ReLU records its mask from it, as if it had run on this output (``Sequential`` pairs them).
    func forward(_ x: Tensor, training: Bool, then relu: ReLU?) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == channels, "BatchNorm2d: input \(x.shape), expected [N, \(channels), H, W]")
        #if !COHORT_DOUBLE
        if x.layout == .channelBlocks16 { return forwardBlocked(x, training: training, then: relu) }
        #endif
        let (n, hw, channels, eps, momentum) = (x.shape[0], x.shape[2] * x.shape[3], self.channels, self.eps, self.momentum)
        let m = Scalar(n * hw)
        // A backward pass follows training or a recorded inference pass (gradient checks, saliency).
        input = training || GradientRecording.isEnabled ? x : Tensor(shape: [0])
        // Every element is written below (each channel's thread covers all its images and pixels): no zeroing pass.
        var out = Tensor.uninitialized(x.shape)
        let upper: Scalar? = relu.map { $0.cap ?? .infinity }
        // The ReLU's mask written by the normalising pass itself when every plane starts a mask byte (planes of a
        // multiple of eight values: no byte is shared between two channels' threads); else a pass of its own after.
        let fusesMask = relu != nil && GradientRecording.isEnabled && hw % 8 == 0
        relu?.releasePasses()  // the previous pass's mask goes before the new one is allocated
        var mask = [UInt8](unsafeUninitializedCapacity: fusesMask ? x.count / 8 : 0) { _, initialized in initialized = fusesMask ? x.count / 8 : 0 }
        means = [Scalar](repeating: 0, count: channels)
        inverseStd = [Scalar](repeating: 0, count: channels)
        trainedForward = training
        x.data.withUnsafeBufferPointer { xs in
            out.data.withUnsafeMutableBufferPointer { os in
              mask.withUnsafeMutableBufferPointer { ms in
                means.withUnsafeMutableBufferPointer { mus in
                    inverseStd.withUnsafeMutableBufferPointer { invs in
                        runningMean.value.data.withUnsafeMutableBufferPointer { rm in
                            runningVariance.value.data.withUnsafeMutableBufferPointer { rv in
                                weight.value.data.withUnsafeBufferPointer { gammas in
                                    bias.value.data.withUnsafeBufferPointer { betas in
                                        guard let xp = xs.baseAddress, let op = os.baseAddress else { return }
                                        // Channels in parallel: each owns its elements and statistics.
                                        ComputeThreads.forRanges(channels, minimumChunk: max(1, (1 << 15) / max(n * hw, 1))) { range in
                                            for c in range {
                                                var mean: Scalar, variance: Scalar
                                                if training {
                                                    // One pass of sums shifted by one of the channel's own values, in
                                                    // double: plain E[x^2] - E[x]^2 cancels catastrophically when the
                                                    // values are close together (the 1x1 image-pooling branch of ASPP
                                                    // with a batch of 2), the shifted sums do not.
                                                    let pivot = Double(xp[c * hw])
                                                    var sum = 0.0, squares = 0.0
                                                    for b in 0..<n {
                                                        let (s1, s2) = ChannelSums.shiftedSums(xp + (b * channels + c) * hw, hw, by: pivot)
                                                        sum += s1
                                                        squares += s2
                                                    }
                                                    (mean, variance) = Self.batchStatistics(sum: sum, squares: squares, pivot: pivot, count: m, momentum: momentum,
                                                                                            runningMean: &rm[c], runningVariance: &rv[c])
                                                } else {
                                                    (mean, variance) = (rm[c], rv[c])
                                                }
                                                let inv = 1 / (variance + eps).squareRoot()
                                                (mus[c], invs[c]) = (mean, inv)
                                                let gamma = gammas[c], beta = betas[c]
                                                for b in 0..<n {
                                                    let base = (b * channels + c) * hw
                                                    ChannelSums.normalize(xp + base, hw, mean: mean, inv: inv, gamma: gamma, beta: beta, clampedTo: upper,
                                                                          into: op + base, mask: fusesMask ? ms.baseAddress.map { $0 + base / 8 } : nil)
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
        if training { batchCount.value.data[0] += 1 }
        if fusesMask { relu?.adoptPasses(mask, shape: x.shape) } else { relu?.recordPasses(ofOutput: out) }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor { backward(gy, through: nil) }

    /// The backward pass; with `relu` (the ReLU paired in the forward pass), `gy` is the gradient of that ReLU's
    /// output, masked here on the way instead of in a pass of its own.
    func backward(_ gy: Tensor, through relu: ReLU?) -> Tensor {
        precondition(relu.map { $0.passes.count == (gy.count + 7) / 8 } ?? true, "BatchNorm2d.backward: the paired ReLU recorded no mask")
        precondition(input.count == gy.count && gy.shape.count == 4 && gy.shape[1] == channels && gy.layout == input.layout,
                     "BatchNorm2d.backward: gradient \(gy.shape) without a recorded forward pass of that shape and layout (\(input.shape))")
        #if !COHORT_DOUBLE
        if gy.layout == .channelBlocks16 { return backwardBlocked(gy, through: relu) }
        #endif
        let (n, hw, channels, trained) = (gy.shape[0], gy.shape[2] * gy.shape[3], self.channels, trainedForward)
        let m = Scalar(n * hw)
        var gx = Tensor.uninitialized(gy.shape)  // every element is written below
        let noMask: [UInt8] = []
        (relu?.passes ?? noMask).withUnsafeBufferPointer { maskBytes in
        let mask = relu == nil ? nil : maskBytes.baseAddress.map { ChannelSums.Mask(bytes: $0, count: maskBytes.count) }
        gy.data.withUnsafeBufferPointer { gs in
            input.data.withUnsafeBufferPointer { xs in
                gx.data.withUnsafeMutableBufferPointer { gxs in
                    weight.gradient.data.withUnsafeMutableBufferPointer { gw in
                        bias.gradient.data.withUnsafeMutableBufferPointer { gb in
                            weight.value.data.withUnsafeBufferPointer { gammas in
                                means.withUnsafeBufferPointer { mus in
                                    inverseStd.withUnsafeBufferPointer { invs in
                                        guard let g = gs.baseAddress, let x = xs.baseAddress, let out = gxs.baseAddress else { return }
                                        ComputeThreads.forRanges(channels, minimumChunk: max(1, (1 << 15) / max(n * hw, 1))) { range in
                                            for c in range {
                                                let mean = mus[c], inv = invs[c]
                                                // Double sums: the terms largely cancel, and float32 sums over a whole channel lose digits.
                                                var sumG64 = 0.0, sumGD64 = 0.0
                                                for b in 0..<n {
                                                    let base = (b * channels + c) * hw
                                                    let (sg, sgd) = ChannelSums.sumAndCenteredDot(g + base, x + base, hw, mean: Double(mean),
                                                                                                  mask: mask, from: base)
                                                    sumG64 += sg
                                                    sumGD64 += sgd
                                                }
                                                // sum(g * xhat), xhat = (x - mean) * inv
                                                let sumG = Scalar(sumG64), sumGX = Scalar(sumGD64 * Double(inv))
                                                gw[c] += sumGX
                                                gb[c] += sumG
                                                let scale = gammas[c] * inv, meanG = sumG / m, meanGX = sumGX / m
                                                for b in 0..<n {
                                                    let base = (b * channels + c) * hw
                                                    // Training: the batch statistics depend on x too; inference: a fixed affine map.
                                                    if trained {
                                                        ChannelSums.inputGradient(g + base, x + base, hw, mean: mean, inv: inv, scale: scale,
                                                                                  meanG: meanG, meanGX: meanGX, mask: mask, from: base, into: out + base)
                                                    } else {
                                                        for i in 0..<hw { out[base + i] = scale * (mask?.passes(base + i) ?? true ? g[base + i] : 0) }
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
        }
        return gx
    }

    /// A channel's batch mean and biased variance (as PyTorch's training pass normalises with) from the sums of
    /// `x - pivot` and of their squares over `m` values, updating its running estimates with the unbiased variance.
    @inline(__always)
    static func batchStatistics(sum: Double, squares: Double, pivot: Double, count m: Scalar, momentum: Scalar,
                                runningMean: inout Scalar, runningVariance: inout Scalar) -> (mean: Scalar, variance: Scalar) {
        let offset = sum / Double(m)
        let mean = Scalar(pivot + offset), variance = Scalar(max(squares / Double(m) - offset * offset, 0))
        let unbiased = m > 1 ? variance * m / (m - 1) : variance
        runningMean = (1 - momentum) * runningMean + momentum * mean
        runningVariance = (1 - momentum) * runningVariance + momentum * unbiased
        return (mean, variance)
    }
}

/// Batch normalisation's passes over one channel plane: in C for float32 (vectorised, see batch_norm.c), the same
/// operations in Swift for the float64 build. Sums in double over eight lanes combined in a fixed order, so results
/// do not depend on the thread count.
enum ChannelSums {
    /// A ReLU's mask (see ``ReLU``): element i of the whole tensor passes its gradient when bit i % 8 of byte i / 8 is set.
    struct Mask {
        let bytes: UnsafePointer<UInt8>
        let count: Int
        @inline(__always) func passes(_ i: Int) -> Bool { (bytes[i / 8] >> (i % 8)) & 1 != 0 }
    }

    /// The sums of `x - pivot` and of its squares.
    @inline(__always)
    static func shiftedSums(_ x: UnsafePointer<Scalar>, _ count: Int, by pivot: Double) -> (Double, Double) {
        var sum = 0.0, squares = 0.0
        #if COHORT_DOUBLE
        var s = [Double](repeating: 0, count: 8), q = s
        for i in 0..<count { let d = Double(x[i]) - pivot; s[i % 8] += d; q[i % 8] += d * d }
        (sum, squares) = (combine(s), combine(q))
        #else
        ccohort_bn_shifted_sums(x, count, pivot, &sum, &squares)
        #endif
        return (sum, squares)
    }

    /// A bias gradient: `gradient[o] += sum of g[b, o, ...]` over the batch and the plane of `[N, C, H, W]`, in
    /// double per channel (channels in parallel, each summed in a fixed order).
    static func addPlaneSums(of g: Tensor, to gradient: inout Tensor) {
        let (n, channels, plane) = (g.shape[0], g.shape[1], g.shape[2] * g.shape[3])
        g.data.withUnsafeBufferPointer { gs in
            gradient.data.withUnsafeMutableBufferPointer { out in
                guard let base = gs.baseAddress, n * plane > 0 else { return }
                ComputeThreads.forRanges(channels, minimumChunk: max(1, (1 << 15) / (n * plane))) { range in
                    for c in range {
                        var sum = 0.0
                        for b in 0..<n { sum += shiftedSums(base + (b * channels + c) * plane, plane, by: 0).0 }
                        out[c] += Scalar(sum)
                    }
                }
            }
        }
    }

    /// `out = gamma * ((x - mean) * inv) + beta`, clamped to `[0, upper]` when `upper` is given (NaN kept).
    @inline(__always)
    static func normalize(_ x: UnsafePointer<Scalar>, _ count: Int, mean: Scalar, inv: Scalar, gamma: Scalar, beta: Scalar, clampedTo upper: Scalar?,
                          into out: UnsafeMutablePointer<Scalar>, mask: UnsafeMutablePointer<UInt8>? = nil) {
        precondition(mask == nil || (upper != nil && count % 8 == 0), "a fused ReLU mask needs a clamp and whole mask bytes")
        #if COHORT_DOUBLE
        for i in 0..<count {
            let v = gamma * ((x[i] - mean) * inv) + beta
            out[i] = upper.map { v < 0 ? 0 : (v > $0 ? $0 : v) } ?? v
        }
        if let mask, let upper {
            for byte in 0..<(count / 8) {
                var bits: UInt8 = 0
                for j in 0..<8 where out[byte * 8 + j] > 0 && out[byte * 8 + j] < upper { bits |= 1 << j }
                mask[byte] = bits
            }
        }
        #else
        ccohort_bn_normalize(x, count, mean, inv, gamma, beta, upper ?? 0, upper == nil ? 0 : 1, out, mask)
        #endif
    }

    /// The sum of `g` and the dot product of `g` and `x - mean`; with `mask`, `g` counts only where it passes
    /// (element i of this plane is element `first + i` of the mask).
    @inline(__always)
    static func sumAndCenteredDot(_ g: UnsafePointer<Scalar>, _ x: UnsafePointer<Scalar>, _ count: Int, mean: Double, mask: Mask?,
                                  from first: Int) -> (Double, Double) {
        var sumG = 0.0, sumGD = 0.0
        #if COHORT_DOUBLE
        var s = [Double](repeating: 0, count: 8), d = s
        for i in 0..<count {
            let gi = mask?.passes(first + i) ?? true ? Double(g[i]) : 0
            s[i % 8] += gi
            d[i % 8] += gi * (Double(x[i]) - mean)
        }
        (sumG, sumGD) = (combine(s), combine(d))
        #else
        ccohort_bn_gradient_sums(g, x, count, mean, mask?.bytes, mask?.count ?? 0, first, &sumG, &sumGD)
        #endif
        return (sumG, sumGD)
    }

    /// `out = scale * (g - meanG - (x - mean) * inv * meanGX)`: the input gradient of a training pass (`g` masked
    /// as in ``sumAndCenteredDot(_:_:_:mean:mask:from:)``).
    @inline(__always)
    static func inputGradient(_ g: UnsafePointer<Scalar>, _ x: UnsafePointer<Scalar>, _ count: Int, mean: Scalar, inv: Scalar, scale: Scalar,
                              meanG: Scalar, meanGX: Scalar, mask: Mask?, from first: Int, into out: UnsafeMutablePointer<Scalar>) {
        #if COHORT_DOUBLE
        for i in 0..<count {
            let gi = mask?.passes(first + i) ?? true ? g[i] : 0
            out[i] = scale * (gi - meanG - (x[i] - mean) * inv * meanGX)
        }
        #else
        ccohort_bn_input_gradient(g, x, count, mean, inv, scale, meanG, meanGX, mask?.bytes, mask?.count ?? 0, first, out)
        #endif
    }

    #if COHORT_DOUBLE
    private static func combine(_ s: [Double]) -> Double { ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7])) }
    #endif
}
