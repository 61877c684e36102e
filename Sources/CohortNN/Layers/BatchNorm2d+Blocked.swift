import CCohortKernels
import CohortTensor

/// Batch normalisation of activations in channel blocks of 16 (``TensorLayout/channelBlocks16``, float32 only),
/// as a convolution left them for the next one: the same statistics, outputs and gradients as the NCHW passes
/// (within double rounding of the sums), in the same layout, with no reorder. Work runs in parallel over chunks
/// (one image's block of 16 channels); each chunk's per-channel sums are kept apart and added in image order, so
/// results do not depend on the thread count.
extension BatchNorm2d {
    /// Chunks of `x` (`[N, C, H, W]` blocked): count, values per chunk, blocks per image.
    private func chunks(_ x: Tensor) -> (count: Int, size: Int, blocks: Int) {
        let blocks = channels / 16
        return (x.shape[0] * blocks, x.shape[2] * x.shape[3] * 16, blocks)
    }

    /// `body` over all chunks in parallel (chunk k: image k / blocks, block k % blocks).
    private func forChunks(_ x: Tensor, _ body: (Int) -> Void) {
        let (count, size, _) = chunks(x)
        ComputeThreads.forRanges(count, minimumChunk: max(1, (1 << 15) / max(size, 1))) { range in for k in range { body(k) } }
    }

    /// Per-channel totals of per-chunk sums (`partial`: 32 doubles per chunk, two sums of 16 lanes), in image order.
    private func totals(_ partial: [Double], images: Int, blocks: Int) -> (first: [Double], second: [Double]) {
        var first = [Double](repeating: 0, count: channels), second = first
        for c in 0..<channels {
            for b in 0..<images {
                let base = (b * blocks + c / 16) * 32 + c % 16
                first[c] += partial[base]
                second[c] += partial[base + 16]
            }
        }
        return (first, second)
    }

    func forwardBlocked(_ x: Tensor, training: Bool, then relu: ReLU?) -> Tensor {
        precondition(channels % 16 == 0, "BatchNorm2d: channel blocks of 16 with \(channels) channels")
        let (n, (count, size, blocks)) = (x.shape[0], chunks(x))
        let m = Scalar(n * x.shape[2] * x.shape[3])
        input = training || GradientRecording.isEnabled ? x : Tensor(shape: [0])
        trainedForward = training
        var out = Tensor.uninitialized(x.shape)
        out.layout = .channelBlocks16
        let recordsMask = relu != nil && GradientRecording.isEnabled
        relu?.releasePasses()  // the previous pass's mask goes before the new one is allocated
        var mask = [UInt8](unsafeUninitializedCapacity: recordsMask ? x.count / 8 : 0) { _, initialized in initialized = recordsMask ? x.count / 8 : 0 }
        var mean = runningMean.value.data, variance = runningVariance.value.data
        x.data.withUnsafeBufferPointer { xs in
            guard training, let xp = xs.baseAddress else { return }
            // Sums shifted by each channel's first value (see the NCHW pass).
            let pivots = (0..<channels).map { Double(xp[($0 / 16) * size + $0 % 16]) }
            var partial = [Double](repeating: 0, count: count * 32)
            partial.withUnsafeMutableBufferPointer { ps in
                pivots.withUnsafeBufferPointer { pv in
                    guard let p = ps.baseAddress, let pivot = pv.baseAddress else { return }
                    forChunks(x) { k in ccohort_bn16_shifted_sums(xp + k * size, size / 16, pivot + (k % blocks) * 16, p + k * 32, p + k * 32 + 16) }
                }
            }
            let (sums, squares) = totals(partial, images: n, blocks: blocks)
            for c in 0..<channels {
                (mean[c], variance[c]) = Self.batchStatistics(sum: sums[c], squares: squares[c], pivot: pivots[c], count: m, momentum: momentum,
                                                              runningMean: &runningMean.value.data[c], runningVariance: &runningVariance.value.data[c])
            }
        }
        means = mean
        inverseStd = variance.map { 1 / ($0 + eps).squareRoot() }
        let upper = relu.map { $0.cap ?? .infinity }
        // Per channel, four rows of `channels`: mean, inv, gamma, beta.
        let rows = means + inverseStd + weight.value.data + bias.value.data, cs = channels
        x.data.withUnsafeBufferPointer { xs in
            out.data.withUnsafeMutableBufferPointer { os in
                mask.withUnsafeMutableBufferPointer { ms in
                    rows.withUnsafeBufferPointer { rs in
                        guard let xp = xs.baseAddress, let op = os.baseAddress, let r = rs.baseAddress else { return }
                        let maskBase = recordsMask ? ms.baseAddress : nil  // an empty array may still have an address
                        forChunks(x) { k in
                            let c = (k % blocks) * 16
                            ccohort_bn16_normalize(xp + k * size, size / 16, r + c, r + cs + c, r + 2 * cs + c, r + 3 * cs + c, upper ?? 0,
                                                   upper == nil ? 0 : 1, op + k * size, maskBase.map { $0 + k * size / 8 })
                        }
                    }
                }
            }
        }
        if training { batchCount.value.data[0] += 1 }
        if recordsMask { relu?.adoptPasses(mask, shape: x.shape) } else { relu?.recordPasses(ofOutput: out) }
        return out
    }

    func backwardBlocked(_ gy: Tensor, through relu: ReLU?) -> Tensor {
        let (n, (count, size, blocks)) = (gy.shape[0], chunks(gy))
        let m = Scalar(n * gy.shape[2] * gy.shape[3])
        var gx = Tensor.uninitialized(gy.shape)  // every element is written below
        gx.layout = .channelBlocks16
        let noMask: [UInt8] = []
        let meansDouble = means.map(Double.init)
        var partial = [Double](repeating: 0, count: count * 32)
        (relu?.passes ?? noMask).withUnsafeBufferPointer { maskBytes in
            gy.data.withUnsafeBufferPointer { gs in
                input.data.withUnsafeBufferPointer { xs in
                    guard let g = gs.baseAddress, let x = xs.baseAddress else { return }
                    let mask = relu == nil ? nil : maskBytes.baseAddress
                    partial.withUnsafeMutableBufferPointer { ps in
                        meansDouble.withUnsafeBufferPointer { mus in
                            guard let p = ps.baseAddress, let mu = mus.baseAddress else { return }
                            forChunks(gy) { k in
                                ccohort_bn16_gradient_sums(g + k * size, x + k * size, size / 16, mu + (k % blocks) * 16, mask.map { $0 + k * size / 8 },
                                                           p + k * 32, p + k * 32 + 16)
                            }
                        }
                    }
                }
            }
        }
        let (sumG64, sumGD64) = totals(partial, images: n, blocks: blocks)
        // As the NCHW pass: sum(g * xhat) = inv * sum(g * (x - mean)); inference is a fixed affine map (no mean terms).
        // Per channel, five rows of `channels`: mean, inv, scale, mean of g, mean of g * xhat.
        var rows = [Scalar](repeating: 0, count: 5 * channels)
        for c in 0..<channels {
            let sumG = Scalar(sumG64[c]), sumGX = Scalar(sumGD64[c] * Double(inverseStd[c]))
            weight.gradient.data[c] += sumGX
            bias.gradient.data[c] += sumG
            (rows[c], rows[channels + c], rows[2 * channels + c]) = (means[c], inverseStd[c], weight.value.data[c] * inverseStd[c])
            if trainedForward { (rows[3 * channels + c], rows[4 * channels + c]) = (sumG / m, sumGX / m) }
        }
        (relu?.passes ?? noMask).withUnsafeBufferPointer { maskBytes in
            gy.data.withUnsafeBufferPointer { gs in
                input.data.withUnsafeBufferPointer { xs in
                    gx.data.withUnsafeMutableBufferPointer { gxs in
                        rows.withUnsafeBufferPointer { rs in
                            guard let g = gs.baseAddress, let x = xs.baseAddress, let out = gxs.baseAddress, let r = rs.baseAddress else { return }
                            let mask = relu == nil ? nil : maskBytes.baseAddress, cs = channels
                            forChunks(gy) { k in
                                let c = (k % blocks) * 16
                                ccohort_bn16_input_gradient(g + k * size, x + k * size, size / 16, r + c, r + cs + c, r + 2 * cs + c, r + 3 * cs + c,
                                                            r + 4 * cs + c, mask.map { $0 + k * size / 8 }, out + k * size)
                            }
                        }
                    }
                }
            }
        }
        return gx
    }
}
