#if !COHORT_DOUBLE
import CohortTensor

/// The non-overlapping transposed convolution (kernel == stride, no padding) as matrix products: every input
/// pixel's `Cin` values times the weight `[Cin, Cout * k * k]` give that pixel's `k x k` output block. Per image,
/// with `P = H W` pixels and the input read as `X [P, Cin]` straight from `[Cin, H, W]`: forward `Y = X W`;
/// backward `gX = gY W^T`, `gW += X^T gY`, through `MatrixKernels` (one fixed summation order, so results repeat
/// bit for bit).
extension ConvTranspose2d {
    /// Columns of the product: one per output channel and kernel offset.
    private var blockWidth: Int { outChannels * kernel * kernel }

    func fastForward(_ x: Tensor) -> Tensor {
        let (n, h, w, s, k) = (x.shape[0], x.shape[2], x.shape[3], stride, blockWidth)
        let (hw, cin) = (h * w, inChannels)
        var blocks = [Float](repeating: 0, count: n * hw * k)
        x.data.withUnsafeBufferPointer { xs in
            weight.value.data.withUnsafeBufferPointer { ws in
                blocks.withUnsafeMutableBufferPointer { ys in
                    for b in 0..<n {
                        MatrixKernels.multiply(xs.baseAddress! + b * cin * hw, aRow: 1, aColumn: hw, ws.baseAddress!, ys.baseAddress! + b * hw * k,
                                               rows: hw, columns: k, inner: cin, accumulate: false)
                    }
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
        return out
    }

    func fastBackward(_ gy: Tensor, into gx: inout Tensor) {
        let x = input
        let (n, h, w, s, k) = (x.shape[0], x.shape[2], x.shape[3], stride, blockWidth)
        let (ho, wo, hw, cin) = (h * s, w * s, h * w, inChannels)
        var blocks = [Float](repeating: 0, count: n * hw * k)
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
        // The weight `[Cin, K]` transposed to `[K, Cin]` for gX = gY W^T.
        var wt = [Float](repeating: 0, count: k * cin)
        for c in 0..<cin { for j in 0..<k { wt[j * cin + c] = weight.value.data[c * k + j] } }
        var gxColumns = [Float](repeating: 0, count: n * hw * cin)
        blocks.withUnsafeBufferPointer { gs in
            x.data.withUnsafeBufferPointer { xs in
                weight.gradient.data.withUnsafeMutableBufferPointer { gws in
                    for b in 0..<n {
                        MatrixKernels.multiply(xs.baseAddress! + b * cin * hw, aRow: hw, aColumn: 1, gs.baseAddress! + b * hw * k, gws.baseAddress!,
                                               rows: cin, columns: k, inner: hw, accumulate: true)
                    }
                }
            }
            wt.withUnsafeBufferPointer { ws in
                gxColumns.withUnsafeMutableBufferPointer { gxs in
                    MatrixKernels.multiply(gs.baseAddress!, aRow: k, aColumn: 1, ws.baseAddress!, gxs.baseAddress!, rows: n * hw, columns: cin,
                                           inner: k, accumulate: false)
                }
            }
        }
        for b in 0..<n { for c in 0..<cin { for p in 0..<hw { gx.data[(b * cin + c) * hw + p] = gxColumns[(b * hw + p) * cin + c] } } }
    }
}
#endif
