#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
import CCohortKernels
#endif

/// Max pooling over `kernel x kernel` windows with `stride` (default `kernel`) and implicit `-inf` padding,
/// floor mode: `[N, C, H, W] -> [N, C, (H + 2p - k) / s + 1, ...]`. The gradient goes to the first maximum.
public final class MaxPool2d: Module {
    public let kernel, stride, padding: Int
    private var inputShape: [Int] = []
    /// For the backward pass, where in its window each output's maximum was: `ky * kernel + kx`, one byte per
    /// output (a quarter of the memory of absolute indices; mammo-cnn keeps 150 MB of them at batch 32).
    private var argmax: [UInt8] = []

    public init(_ kernel: Int, stride: Int? = nil, padding: Int = 0) {
        precondition(padding <= kernel / 2, "MaxPool2d: padding \(padding) is more than half the \(kernel)x\(kernel) window (as in PyTorch)")
        precondition(kernel * kernel <= 256, "MaxPool2d: a \(kernel)x\(kernel) window has more positions than one byte records")
        self.kernel = kernel
        self.stride = stride ?? kernel
        self.padding = padding
    }

    public var state: [(name: String, parameter: Parameter)] { [] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let ho = (h + 2 * padding - kernel) / stride + 1, wo = (w + 2 * padding - kernel) / stride + 1
        var out = Tensor.uninitialized([n, c, ho, wo])  // every output is written below
        argmax = []  // the previous pass's positions go before the new ones are allocated
        argmax = [UInt8](repeating: 0, count: out.count)
        let (kernel, stride, padding) = (self.kernel, self.stride, self.padding)
        x.data.withUnsafeBufferPointer { xs in
            out.data.withUnsafeMutableBufferPointer { os in
                argmax.withUnsafeMutableBufferPointer { args in
                    guard let xp = xs.baseAddress, let op = os.baseAddress, let ap = args.baseAddress else { return }
                    // Planes in parallel: each output and its argmax belong to one plane.
                    ComputeThreads.forRanges(n * c, minimumChunk: max(1, (1 << 15) / max(h * w, 1))) { planes in
                        #if !COHORT_DOUBLE
                        // The same scan in C (max_pool.c), where the window loops unroll and branch-free selects
                        // vectorise: the Swift loops below were 6% of a ResNet-18 training step at its stem.
                        for plane in planes {
                            ccohort_max_pool_plane(xp + plane * h * w, h, w, Int32(kernel), Int32(stride), Int32(padding), ho, wo,
                                                   op + plane * ho * wo, ap + plane * ho * wo)
                        }
                        #else
                        if kernel == 2 && stride == 2 && padding == 0 {
                            // The common 2x2 case without bounds tests; ties keep the first maximum in window order.
                            for plane in planes {
                                let base = plane * h * w
                                for oy in 0..<ho {
                                    let row0 = base + 2 * oy * w, row1 = row0 + w
                                    let o0 = (plane * ho + oy) * wo
                                    for ox in 0..<wo {
                                        var position: UInt8 = 0, best = xp[row0 + 2 * ox]
                                        if xp[row0 + 2 * ox + 1] > best { position = 1; best = xp[row0 + 2 * ox + 1] }
                                        if xp[row1 + 2 * ox] > best { position = 2; best = xp[row1 + 2 * ox] }
                                        if xp[row1 + 2 * ox + 1] > best { position = 3; best = xp[row1 + 2 * ox + 1] }
                                        op[o0 + ox] = best
                                        ap[o0 + ox] = position
                                    }
                                }
                            }
                            return
                        }
                        // Other windows: those wholly inside the plane without bounds tests and with selects instead
                        // of branches (a ResNet stem's 3x3 stride-2 pooling spent most of its time mispredicting),
                        // the border ones with the tests. Ties keep the first maximum in window order either way.
                        let oyLo = (padding + stride - 1) / stride, oyHi = (h - kernel + padding) / stride
                        let oxLo = (padding + stride - 1) / stride, oxHi = (w - kernel + padding) / stride
                        for plane in planes {
                            let base = plane * h * w
                            for oy in 0..<ho {
                                let o0 = (plane * ho + oy) * wo
                                let insideRows = oy >= oyLo && oy <= oyHi
                                var ox = 0
                                while ox < wo {
                                    if insideRows && ox >= oxLo && ox <= oxHi {
                                        let start = base + (oy * stride - padding) * w + ox * stride - padding
                                        var position = 0, best = xp[start]
                                        for ky in 0..<kernel {
                                            let row = start + ky * w
                                            for kx in 0..<kernel {
                                                let v = xp[row + kx]
                                                let better = v > best
                                                best = better ? v : best
                                                position = better ? ky * kernel + kx : position
                                            }
                                        }
                                        op[o0 + ox] = best
                                        ap[o0 + ox] = UInt8(truncatingIfNeeded: position)
                                        ox += 1
                                        continue
                                    }
                                    var position = -1, best = -Scalar.infinity
                                    for ky in 0..<kernel {
                                        let iy = oy * stride - padding + ky
                                        if iy < 0 || iy >= h { continue }
                                        for kx in 0..<kernel {
                                            let ix = ox * stride - padding + kx
                                            if ix < 0 || ix >= w { continue }
                                            let i = base + iy * w + ix
                                            if position < 0 || xp[i] > best { best = xp[i]; position = ky * kernel + kx }
                                        }
                                    }
                                    op[o0 + ox] = best
                                    ap[o0 + ox] = UInt8(truncatingIfNeeded: max(position, 0))
                                    ox += 1
                                }
                            }
                        }
                        #endif
                    }
                }
            }
        }
        if !GradientRecording.isEnabled { argmax = [] }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        precondition(inputShape.count == 4 && argmax.count == gy.count, "MaxPool2d.backward: gradient \(gy.shape) without a recorded forward pass")
        let (h, w, ho, wo) = (inputShape[2], inputShape[3], gy.shape[2], gy.shape[3])
        let (kernel, stride, padding) = (self.kernel, self.stride, self.padding)
        if gy.count == 0 { return Tensor(shape: inputShape) }
        #if COHORT_DOUBLE
        var gx = Tensor(shape: inputShape)
        #else
        // In C (max_pool.c), which writes every input: where the windows tile the plane each is written once,
        // without a zeroing pass.
        var gx = Tensor.uninitialized(inputShape)
        #endif
        gy.data.withUnsafeBufferPointer { gs in
            argmax.withUnsafeBufferPointer { args in
                gx.data.withUnsafeMutableBufferPointer { gxs in
                    guard let g = gs.baseAddress, let a = args.baseAddress, let out = gxs.baseAddress, h * w > 0 else { return }
                    // Whole planes per worker: every maximum of a plane lies in that plane.
                    ComputeThreads.forRanges(gxs.count / (h * w), minimumChunk: max(1, (1 << 15) / (h * w))) { planes in
                        for plane in planes {
                            #if COHORT_DOUBLE
                            let base = plane * h * w
                            for oy in 0..<ho {
                                let o0 = (plane * ho + oy) * wo
                                for ox in 0..<wo {
                                    let position = Int(a[o0 + ox])
                                    let iy = oy * stride - padding + position / kernel, ix = ox * stride - padding + position % kernel
                                    out[base + iy * w + ix] += g[o0 + ox]
                                }
                            }
                            #else
                            ccohort_max_pool_backward_plane(g + plane * ho * wo, a + plane * ho * wo, ho, wo, Int32(kernel), Int32(stride),
                                                            Int32(padding), h, w, out + plane * h * w)
                            #endif
                        }
                    }
                }
            }
        }
        return gx
    }
}
