#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// Transposed 2-D convolution (torch.nn.ConvTranspose2d, groups 1): input `[N, Cin, H, W]`, weight
/// `[Cin, Cout, k, k]`, output `[N, Cout, (H - 1) s - 2p + k, ...]`. Each input value scatters `x * w` into
/// the output; backward gathers.
public final class ConvTranspose2d: Module {
    public let inChannels, outChannels, kernel, stride, padding: Int
    public let weight: Parameter, bias: Parameter?
    var input = Tensor(shape: [0])
    #if !COHORT_DOUBLE
    /// Whether the non-overlapping case (kernel == stride, no padding: U-Net's upsampling) runs as one matrix
    /// product per image through `MatrixKernels`; the scatter loops below stay as the reference, and tests compare.
    public var usesSIMDKernels = true
    /// Whether the layer runs through oneDNN (as the convolution it transposes); before the kernels above.
    public var usesOneDNN = true
    private let accelerated = OneDNNTransposedConvolution()
    #endif

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, bias: Bool = true) {
        (self.inChannels, self.outChannels, self.kernel, self.stride, self.padding) = (inChannels, outChannels, kernel, stride, padding)
        weight = Parameter(Tensor(shape: [inChannels, outChannels, kernel, kernel]), role: .weight(fanIn: outChannels * kernel * kernel))
        self.bias = bias ? Parameter(Tensor(shape: [outChannels]), role: .bias) : nil
    }

    public var state: [(name: String, parameter: Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    private func outputSize(_ size: Int) -> Int { (size - 1) * stride - 2 * padding + kernel }

    /// `out[b, o, ...] += bias[o]` for `[N, C, H, W]`.
    private static func addBias(_ bias: Tensor, to out: inout Tensor) {
        let (channels, plane) = (out.shape[1], out.shape[2] * out.shape[3])
        out.data.withUnsafeMutableBufferPointer { o in
            for start in Swift.stride(from: 0, to: o.count, by: plane) {
                let value = bias.data[(start / plane) % channels]
                for i in start..<(start + plane) { o[i] += value }
            }
        }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inChannels, "ConvTranspose2d: input \(x.shape), expected [N, \(inChannels), H, W]")
        input = GradientRecording.kept(x)
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (ho, wo) = (outputSize(h), outputSize(w))
        FlopCounter.add(n * h * w * inChannels * outChannels * kernel * kernel)
        #if !COHORT_DOUBLE
        if usesOneDNN, n * h * w > 0,
           var out = accelerated.forward(input: x, weights: weight.value, stride: stride, padding: padding, outputHeight: ho, outputWidth: wo) {
            if let bias { Self.addBias(bias.value, to: &out) }
            return out
        }
        if usesSIMDKernels && kernel == stride && padding == 0 && n * h * w > 0 { return fastForward(x) }
        #endif
        var out = Tensor(shape: [n, outChannels, ho, wo])
        for b in 0..<n {
            for o in 0..<outChannels {
                let base = (b * outChannels + o) * ho * wo
                let biasValue = bias?.value.data[o] ?? 0
                for i in 0..<(ho * wo) { out.data[base + i] = biasValue }
            }
            for ci in 0..<inChannels {
                for iy in 0..<h {
                    for ix in 0..<w {
                        let v = x.data[((b * inChannels + ci) * h + iy) * w + ix]
                        for o in 0..<outChannels {
                            for ky in 0..<kernel {
                                let oy = iy * stride - padding + ky
                                if oy < 0 || oy >= ho { continue }
                                for kx in 0..<kernel {
                                    let ox = ix * stride - padding + kx
                                    if ox < 0 || ox >= wo { continue }
                                    out.data[((b * outChannels + o) * ho + oy) * wo + ox] += v * weight.value.data[((ci * outChannels + o) * kernel + ky) * kernel + kx]
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let x = input
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (ho, wo) = (gy.shape[2], gy.shape[3])
        if let bias { ChannelSums.addPlaneSums(of: gy, to: &bias.gradient) }
        #if !COHORT_DOUBLE
        if usesOneDNN, n * h * w > 0, let g = accelerated.backward(input: x, weights: weight.value, outputGradient: gy) {
            weight.gradient.add(g.weights)
            return g.input
        }
        #endif
        var gx = Tensor(shape: x.shape)
        #if !COHORT_DOUBLE
        if usesSIMDKernels && kernel == stride && padding == 0 && n * h * w > 0 {
            fastBackward(gy, into: &gx)
            return gx
        }
        #endif
        for b in 0..<n {
            for ci in 0..<inChannels {
                for iy in 0..<h {
                    for ix in 0..<w {
                        let xi = ((b * inChannels + ci) * h + iy) * w + ix
                        var sum: Scalar = 0
                        for o in 0..<outChannels {
                            for ky in 0..<kernel {
                                let oy = iy * stride - padding + ky
                                if oy < 0 || oy >= ho { continue }
                                for kx in 0..<kernel {
                                    let ox = ix * stride - padding + kx
                                    if ox < 0 || ox >= wo { continue }
                                    let g = gy.data[((b * outChannels + o) * ho + oy) * wo + ox]
                                    let wi = ((ci * outChannels + o) * kernel + ky) * kernel + kx
                                    sum += g * weight.value.data[wi]
                                    weight.gradient.data[wi] += g * x.data[xi]
                                }
                            }
                        }
                        gx.data[xi] = sum
                    }
                }
            }
        }
        return gx
    }
}

/// Channel concatenation of `[N, Ca, H, W]` and `[N, Cb, H, W]` and its split for backward.
public enum Channels {
    public static func concatenate(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.shape[0] == b.shape[0] && a.shape[2...] == b.shape[2...], "concatenate: \(a.shape) and \(b.shape)")
        let (n, ca, cb, hw) = (a.shape[0], a.shape[1], b.shape[1], a.shape[2] * a.shape[3])
        var out = Tensor.uninitialized([n, ca + cb, a.shape[2], a.shape[3]])
        out.data.withUnsafeMutableBufferPointer { o in
            a.data.withUnsafeBufferPointer { x in
                b.data.withUnsafeBufferPointer { y in
                    guard let op = o.baseAddress, ca * hw + cb * hw > 0 else { return }
                    for i in 0..<n {
                        if ca * hw > 0 { (op + i * (ca + cb) * hw).update(from: x.baseAddress! + i * ca * hw, count: ca * hw) }
                        if cb * hw > 0 { (op + (i * (ca + cb) + ca) * hw).update(from: y.baseAddress! + i * cb * hw, count: cb * hw) }
                    }
                }
            }
        }
        return out
    }

    /// Channels `from ..< from + count` of `[N, C, H, W]`.
    public static func slice(_ x: Tensor, from: Int, count: Int) -> Tensor {
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        precondition(from >= 0 && from + count <= c, "slice \(from)..<\(from + count) of \(c) channels")
        var out = Tensor(shape: [n, count, x.shape[2], x.shape[3]])
        for i in 0..<n {
            out.data.replaceSubrange((i * count * hw)..<((i + 1) * count * hw), with: x.data[((i * c + from) * hw)..<((i * c + from + count) * hw)])
        }
        return out
    }

    /// The gradient of a concatenation split back into its two parts (`ca` channels first).
    public static func split(_ g: Tensor, first ca: Int) -> (Tensor, Tensor) {
        let (n, c, hw) = (g.shape[0], g.shape[1], g.shape[2] * g.shape[3])
        precondition(ca >= 0 && ca <= c, "split after \(ca) of \(c) channels")
        var a = Tensor.uninitialized([n, ca, g.shape[2], g.shape[3]]), b = Tensor.uninitialized([n, c - ca, g.shape[2], g.shape[3]])
        g.data.withUnsafeBufferPointer { gs in
            a.data.withUnsafeMutableBufferPointer { x in
                b.data.withUnsafeMutableBufferPointer { y in
                    guard let gp = gs.baseAddress else { return }
                    for i in 0..<n {
                        if ca * hw > 0 { x.baseAddress!.advanced(by: i * ca * hw).update(from: gp + i * c * hw, count: ca * hw) }
                        if (c - ca) * hw > 0 { y.baseAddress!.advanced(by: i * (c - ca) * hw).update(from: gp + (i * c + ca) * hw, count: (c - ca) * hw) }
                    }
                }
            }
        }
        return (a, b)
    }
}
