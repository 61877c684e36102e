#if !COHORT_DOUBLE
import CohortTensor

/// The non-overlapping transposed convolution (kernel == stride, no padding) as matrix products: every input
/// pixel's `Cin` values times the weight `[Cin, Cout * k * k]` give that pixel's `k x k` output block. With
/// `P = N H W` pixels, `X [P, Cin]` (pixel-major input), `Wt [Cout k k, Cin]`:
/// forward `Y = X Wt^T`; backward `gX = gY Wt`, `gWt += gY^T X`, all through `DenseKernels` (one fixed
/// summation order, so results repeat bit for bit).
extension ConvTranspose2d {
    /// Columns of the product: one per output channel and kernel offset.
    private var blockWidth: Int { outChannels * kernel * kernel }

    /// The weight `[Cin, Cout, k, k]` transposed to `[Cout k k, Cin]`.
    private func transposedWeight() -> [Float] {
        let k = blockWidth
        var out = [Float](repeating: 0, count: k * inChannels)
        for c in 0..<inChannels { for j in 0..<k { out[j * inChannels + c] = weight.value.data[c * k + j] } }
        return out
    }

    /// `[N, C, H, W]` values as `[N H W, C]`.
    static func pixelMajor(_ x: Tensor) -> [Float] {
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        var out = [Float](repeating: 0, count: x.count)
        for b in 0..<n { for ch in 0..<c { for p in 0..<hw { out[(b * hw + p) * c + ch] = x.data[(b * c + ch) * hw + p] } } }
        return out
    }

    func fastForward(_ x: Tensor) -> Tensor {
        let (n, h, w, s, k) = (x.shape[0], x.shape[2], x.shape[3], stride, blockWidth)
        let pixels = n * h * w
        let columns = Self.pixelMajor(x), wt = transposedWeight()
        var blocks = [Float](repeating: 0, count: pixels * k)
        columns.withUnsafeBufferPointer { xs in
            wt.withUnsafeBufferPointer { ws in
                blocks.withUnsafeMutableBufferPointer { ys in
                    DenseKernels.forward(x: xs.baseAddress!, w: ws.baseAddress!, y: ys.baseAddress!, n: pixels, inFeatures: inChannels, outFeatures: k)
                }
            }
        }
        var out = Tensor(shape: [n, outChannels, h * s, w * s])
        let (ho, wo) = (h * s, w * s)
        for b in 0..<n {
            for y in 0..<h {
                for x in 0..<w {
                    let row = ((b * h + y) * w + x) * k
                    for o in 0..<outChannels {
                        let biasValue = bias?.value.data[o] ?? 0
                        for ky in 0..<s {
                            for kx in 0..<s {
                                out.data[((b * outChannels + o) * ho + y * s + ky) * wo + x * s + kx] = blocks[row + (o * s + ky) * s + kx] + biasValue
                            }
                        }
                    }
                }
            }
        }
        pixelMajorInput = columns
        return out
    }

    func fastBackward(_ gy: Tensor, into gx: inout Tensor) {
        let x = input
        let (n, h, w, s, k) = (x.shape[0], x.shape[2], x.shape[3], stride, blockWidth)
        let (ho, wo) = (h * s, w * s)
        let pixels = n * h * w
        var blocks = [Float](repeating: 0, count: pixels * k)
        for b in 0..<n {
            for y in 0..<h {
                for xx in 0..<w {
                    let row = ((b * h + y) * w + xx) * k
                    for o in 0..<outChannels {
                        for ky in 0..<s {
                            for kx in 0..<s { blocks[row + (o * s + ky) * s + kx] = gy.data[((b * outChannels + o) * ho + y * s + ky) * wo + xx * s + kx] }
                        }
                    }
                }
            }
        }
        let wt = transposedWeight()
        var gwt = [Float](repeating: 0, count: k * inChannels), gxColumns = [Float](repeating: 0, count: pixels * inChannels)
        let cin = inChannels
        blocks.withUnsafeBufferPointer { gs in
            pixelMajorInput.withUnsafeBufferPointer { xs in
                gwt.withUnsafeMutableBufferPointer { gws in
                    DenseKernels.weightGradient(gy: gs.baseAddress!, x: xs.baseAddress!, gw: gws.baseAddress!, n: pixels, inFeatures: cin, outFeatures: k)
                }
            }
            wt.withUnsafeBufferPointer { ws in
                gxColumns.withUnsafeMutableBufferPointer { gxs in
                    let target = gxs
                    // Rows are independent: split them over the compute threads.
                    ComputeThreads.forRanges(pixels, minimumChunk: max(1, (1 << 16) / max(k * cin, 1))) { rows in
                        DenseKernels.inputGradient(gy: gs.baseAddress! + rows.lowerBound * k, w: ws.baseAddress!,
                                                   gx: target.baseAddress! + rows.lowerBound * cin, n: rows.count, inFeatures: cin, outFeatures: k)
                    }
                }
            }
        }
        for c in 0..<inChannels { for j in 0..<k { weight.gradient.data[c * k + j] += gwt[j * inChannels + c] } }
        let hw = h * w
        for b in 0..<n { for c in 0..<inChannels { for p in 0..<hw { gx.data[(b * inChannels + c) * hw + p] = gxColumns[(b * hw + p) * inChannels + c] } } }
    }
}
#endif
