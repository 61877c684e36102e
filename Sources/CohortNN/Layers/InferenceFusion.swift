#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// Inference with the layers after a convolution done inside it (issue "Fast CPU backend"): a convolution followed
/// by batch normalisation runs as one oneDNN primitive with the normalisation folded into its weights and bias,
/// a ReLU or ReLU6 after them as a post-op, and a residual block's sum and output ReLU as post-ops of its last
/// convolution. Only where nothing will call backward (``GradientRecording/withoutGradients(_:)``) and only in
/// inference mode (running statistics); the outputs equal the layer-by-layer ones within float32 rounding.
public enum InferenceFusion {
    /// On by default; tests switch it off to compare with the layer-by-layer pass. Process-wide.
    nonisolated(unsafe) public static var isEnabled = true

    /// Whether an inference forward pass may fuse now.
    static var applies: Bool {
        #if COHORT_DOUBLE
        false
        #else
        isEnabled && !GradientRecording.isEnabled
        #endif
    }
}

#if COHORT_DOUBLE
/// The float64 build has no oneDNN: inference values are always plain tensors.
enum ConvolutionOperand {
    case plain(Tensor)
    var tensor: Tensor { switch self { case .plain(let t): t } }
}
#endif

/// A module whose inference pass takes and returns values that may stay in oneDNN's layout between fused
/// convolutions (``KeptTensor``), instead of being reordered to NCHW and back at every module boundary.
protocol FusedInferenceModule: Module {
    func fusedInference(_ x: ConvolutionOperand) -> ConvolutionOperand
}

extension Sequential: FusedInferenceModule {
    func fusedInference(_ x: ConvolutionOperand) -> ConvolutionOperand { fusedInference(x, adding: nil, relu: false) }

    /// The children at inference, convolution + batch norm (+ ReLU) groups fused; then `addend` is added and, when
    /// `relu`, a ReLU applied, both inside the last convolution when the sequence ends with convolution + batch norm.
    func fusedInference(_ x: ConvolutionOperand, adding addend: ConvolutionOperand?, relu: Bool) -> ConvolutionOperand {
        var h = x, i = 0
        let modules = children.map(\.module)
        while i < modules.count {
            #if !COHORT_DOUBLE
            if let conv = modules[i] as? Conv2d, i + 1 < modules.count, let norm = modules[i + 1] as? BatchNorm2d {
                var next = i + 2, activation = OneDNNFusedConvolution.Activation.none
                if next < modules.count, let r = modules[next] as? ReLU {
                    activation = r.cap.map { .clip(upper: $0) } ?? .relu
                    next += 1
                }
                // The residual sum belongs after the group's own activation, which a post-op chain cannot express.
                let takesAddend = next == modules.count && addend != nil && activation == .none
                let groupAddend = takesAddend ? addend : nil
                let tail: OneDNNFusedConvolution.Activation = takesAddend ? (relu ? .relu : .none) : activation
                if let y = conv.fusedInference(h, normalization: norm, addend: groupAddend, activation: tail) {
                    h = .kept(y)
                    if takesAddend { return h }
                    i = next
                    continue
                }
            }
            #endif
            if i == modules.count - 1, addend != nil, let inner = modules[i] as? Sequential {
                return inner.fusedInference(h, adding: addend, relu: relu)
            }
            if let chained = modules[i] as? FusedInferenceModule {
                h = chained.fusedInference(h)
            } else {
                h = .plain(modules[i].forward(h.tensor, training: false))
            }
            i += 1
        }
        guard let addend else { return h }
        var sum = h.tensor
        sum.add(addend.tensor)
        return .plain(relu ? ReLU().forward(sum, training: false) : sum)
    }
}

#if !COHORT_DOUBLE
extension Conv2d {
    /// `activation(batchNorm(conv(x)) + addend)` as one oneDNN primitive, left in its layout, or nil when it cannot
    /// be built (the caller then runs the layers one by one). The folded weights are computed per call, since
    /// training changes them.
    func fusedInference(_ x: ConvolutionOperand, normalization norm: BatchNorm2d, addend: ConvolutionOperand?,
                        activation: OneDNNFusedConvolution.Activation) -> KeptTensor? {
        let shape = x.shape
        guard usesOneDNN, shape.count == 4, shape[1] == inChannels, norm.channels == outChannels else { return nil }
        let perOutput = weight.value.count / outChannels
        var folded = weight.value, foldedBias = Tensor(shape: [outChannels])
        for c in 0..<outChannels {
            let scale = norm.weight.value.data[c] / (norm.runningVariance.value.data[c] + norm.eps).squareRoot()
            folded.data.withUnsafeMutableBufferPointer { w in for j in (c * perOutput)..<((c + 1) * perOutput) { w[j] *= scale } }
            let convBias = bias?.value.data[c] ?? 0
            foldedBias.data[c] = norm.bias.value.data[c] + (convBias - norm.runningMean.value.data[c]) * scale
        }
        let (n, ho, wo) = (shape[0], outputSize(shape[2]), outputSize(shape[3]))
        guard let y = fused.forward(input: x, weights: folded, bias: foldedBias, addend: addend, activation: activation, stride: stride,
                                    padding: padding, dilation: dilation, groups: groups, outputHeight: ho, outputWidth: wo) else { return nil }
        FlopCounter.add(multiplyAdds(batch: n, outputHeight: ho, outputWidth: wo))
        return y
    }
}
#endif
