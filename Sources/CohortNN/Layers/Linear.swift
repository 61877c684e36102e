#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// Fully connected layer: `[N, in] -> [N, out]`, `y = x W^T + b` with weight `[out, in]` (torch.nn.Linear).
public final class Linear: Module {
    public let inFeatures, outFeatures: Int
    public let weight: Parameter, bias: Parameter?
    private var input = Tensor(shape: [0])
    #if !COHORT_DOUBLE
    /// Whether products run through the SIMD kernels (`DenseKernels`; the reference loops below stay, and tests
    /// compare the two).
    public var usesSIMDKernels = true
    #endif

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        weight = Parameter(Tensor(shape: [outFeatures, inFeatures]), role: .weight(fanIn: inFeatures))
        self.bias = bias ? Parameter(Tensor(shape: [outFeatures]), role: .bias) : nil
    }

    public var state: [(name: String, parameter: Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inFeatures, "Linear: input \(x.shape), expected [N, \(inFeatures)]")
        input = GradientRecording.kept(x)
        let n = x.shape[0]
        var out = Tensor(shape: [n, outFeatures])
        FlopCounter.add(n * inFeatures * outFeatures)
        #if !COHORT_DOUBLE
        if usesSIMDKernels, n > 0 {
            fastForward(x, into: &out)
            return out
        }
        #endif
        x.data.withUnsafeBufferPointer { xs in
            weight.value.data.withUnsafeBufferPointer { ws in
                out.data.withUnsafeMutableBufferPointer { os in
                    for b in 0..<n {
                        for o in 0..<outFeatures {
                            var sum = bias?.value.data[o] ?? 0
                            for i in 0..<inFeatures { sum += xs[b * inFeatures + i] * ws[o * inFeatures + i] }
                            os[b * outFeatures + o] = sum
                        }
                    }
                }
            }
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let n = input.shape[0]
        var gx = Tensor(shape: input.shape)
        #if !COHORT_DOUBLE
        if usesSIMDKernels, n > 0 {
            fastBackward(gy, into: &gx)
            return gx
        }
        #endif
        input.data.withUnsafeBufferPointer { xs in
            gy.data.withUnsafeBufferPointer { gs in
                weight.value.data.withUnsafeBufferPointer { ws in
                    weight.gradient.data.withUnsafeMutableBufferPointer { gws in
                        gx.data.withUnsafeMutableBufferPointer { gxs in
                            for b in 0..<n {
                                for o in 0..<outFeatures {
                                    let g = gs[b * outFeatures + o]
                                    if g == 0 { continue }
                                    for i in 0..<inFeatures {
                                        gws[o * inFeatures + i] += g * xs[b * inFeatures + i]
                                        gxs[b * inFeatures + i] += g * ws[o * inFeatures + i]
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        if let bias { for b in 0..<n { for o in 0..<outFeatures { bias.gradient.data[o] += gy.data[b * outFeatures + o] } } }
        return gx
    }

    #if !COHORT_DOUBLE
    /// y = x W^T (+ b) with the SIMD kernels (one fixed summation order: repeatable bit for bit).
    private func fastForward(_ x: Tensor, into out: inout Tensor) {
        let n = x.shape[0]
        x.data.withUnsafeBufferPointer { xs in
            weight.value.data.withUnsafeBufferPointer { ws in
                out.data.withUnsafeMutableBufferPointer { os in
                    DenseKernels.forward(x: xs.baseAddress!, w: ws.baseAddress!, y: os.baseAddress!, n: n, inFeatures: inFeatures, outFeatures: outFeatures)
                }
            }
        }
        if let bias {
            bias.value.data.withUnsafeBufferPointer { bs in
                out.data.withUnsafeMutableBufferPointer { os in
                    for b in 0..<n { for o in 0..<outFeatures { os[b * outFeatures + o] += bs[o] } }
                }
            }
        }
    }

    /// gW += gy^T x, gx = gy W, gb += column sums of gy.
    private func fastBackward(_ gy: Tensor, into gx: inout Tensor) {
        let n = input.shape[0]
        gy.data.withUnsafeBufferPointer { gs in
            input.data.withUnsafeBufferPointer { xs in
                weight.value.data.withUnsafeBufferPointer { ws in
                    weight.gradient.data.withUnsafeMutableBufferPointer { gws in
                        gx.data.withUnsafeMutableBufferPointer { gxs in
                            DenseKernels.weightGradient(gy: gs.baseAddress!, x: xs.baseAddress!, gw: gws.baseAddress!, n: n,
                                                        inFeatures: inFeatures, outFeatures: outFeatures)
                            DenseKernels.inputGradient(gy: gs.baseAddress!, w: ws.baseAddress!, gx: gxs.baseAddress!, n: n,
                                                       inFeatures: inFeatures, outFeatures: outFeatures)
                        }
                    }
                }
            }
        }
        if let bias { for b in 0..<n { for o in 0..<outFeatures { bias.gradient.data[o] += gy.data[b * outFeatures + o] } } }
    }
    #endif
}
