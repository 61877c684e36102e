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

    public init(_ inFeatures: Int, _ outFeatures: Int, bias: Bool = true) {
        (self.inFeatures, self.outFeatures) = (inFeatures, outFeatures)
        weight = Parameter(Tensor(shape: [outFeatures, inFeatures]), role: .weight(fanIn: inFeatures))
        self.bias = bias ? Parameter(Tensor(shape: [outFeatures]), role: .bias) : nil
    }

    public var state: [(name: String, parameter: Parameter)] { [("weight", weight)] + (bias.map { [("bias", $0)] } ?? []) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 2 && x.shape[1] == inFeatures, "Linear: input \(x.shape), expected [N, \(inFeatures)]")
        input = x
        let n = x.shape[0]
        var out = Tensor(shape: [n, outFeatures])
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
}
