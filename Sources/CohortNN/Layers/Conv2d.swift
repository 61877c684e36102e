#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// 2-D convolution (cross-correlation, as PyTorch): input `[N, Cin, H, W]`, weight `[Cout, Cin/groups, kh, kw]`,
/// output `[N, Cout, Ho, Wo]` with `Ho = (H + 2p - d(kh-1) - 1) / s + 1`. Groups cover depthwise convolution.
public final class Conv2d: Module {
    public let inChannels, outChannels, kernel, stride, padding, dilation, groups: Int
    public let weight: Parameter
    public let bias: Parameter?
    private var input = Tensor(shape: [0])
    /// The last forward input's shape (the input itself may have been let go of: see `forward`).
    private var inputShape: [Int] = []
    /// False for a network's first layer, whose input gradient nobody reads (``Module/skipsInputGradient()``):
    /// the backward pass then returns zeros as the input gradient, and the oneDNN one skips computing it (a
    /// ResNet-18 stem's took 9.3% of the oneDNN time of a training step at batch 8).
    public var computesInputGradient = true
    /// Whether a training pass leaves its output in channel blocks of 16 (``TensorLayout/channelBlocks16``) for the
    /// batch norm, ReLU and convolution after it, which read that layout as it is (``Sequential`` sets this where
    /// the layers that follow allow it). oneDNN only; the reference loops always give NCHW.
    public var keepsBlockedOutput = false
    /// Whether any convolution may keep channel blocks (``keepsBlockedOutput``); off, every activation is NCHW, as
    /// the tests that compare both ways set it.
    nonisolated(unsafe) public static var channelBlocksEnabled = true
    /// The last forward input's layout: the input gradient goes back in it.
    private var inputLayout: TensorLayout = .nchw
    #if !COHORT_DOUBLE
    /// Whether the forward pass runs through oneDNN (the reference loops below stay, and tests compare the two).
    public var usesOneDNN = true
    private let accelerated = OneDNNConvolution()
    /// The inference primitive with batch norm and activation folded in (``InferenceFusion``).
    let fused = OneDNNFusedConvolution()
    #endif

    public init(_ inChannels: Int, _ outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0, dilation: Int = 1,
                groups: Int = 1, bias: Bool = true) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "Conv2d: channels \(inChannels)->\(outChannels) not divisible by groups \(groups)")
        (self.inChannels, self.outChannels, self.kernel, self.stride, self.padding, self.dilation, self.groups) =
            (inChannels, outChannels, kernel, stride, padding, dilation, groups)
        let fanIn = inChannels / groups * kernel * kernel
        weight = Parameter(Tensor(shape: [outChannels, inChannels / groups, kernel, kernel]), role: .weight(fanIn: fanIn))
        self.bias = bias ? Parameter(Tensor(shape: [outChannels]), role: .bias) : nil
    }

    public var state: [(name: String, parameter: Parameter)] {
        [("weight", weight)] + (bias.map { [("bias", $0)] } ?? [])
    }

    func outputSize(_ size: Int) -> Int { (size + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1 }

    /// Multiply-adds of one forward pass over `[n, Cin, H, W]` giving `ho x wo` outputs (for ``FlopCounter``).
    func multiplyAdds(batch n: Int, outputHeight ho: Int, outputWidth wo: Int) -> Int {
        n * outChannels * ho * wo * (inChannels / groups) * kernel * kernel
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape.count == 4 && x.shape[1] == inChannels, "Conv2d: input \(x.shape), expected [N, \(inChannels), H, W]")
        input = GradientRecording.kept(x)
        (inputShape, inputLayout) = (x.shape, x.layout)
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (ho, wo) = (outputSize(h), outputSize(w))
        FlopCounter.add(multiplyAdds(batch: n, outputHeight: ho, outputWidth: wo))
        #if !COHORT_DOUBLE
        if usesOneDNN, let out = accelerated.forward(input: x, weights: weight.value, bias: bias?.value, stride: stride, padding: padding,
                                                     dilation: dilation, groups: groups, outputHeight: ho, outputWidth: wo,
                                                     blockedOutput: keepsBlockedOutput && training && Self.channelBlocksEnabled) {
            // oneDNN holds its own (blocked) copy of the input for the weight gradient: keeping this one as well
            // would hold every activation twice until the backward pass.
            if accelerated.keepsInput { input = Tensor(shape: [0]) }
            return out
        }
        #endif
        let plainInput = x.arranged(.nchw)
        let cinG = inChannels / groups, coutG = outChannels / groups, k = kernel
        var out = Tensor(shape: [n, outChannels, ho, wo])
        plainInput.data.withUnsafeBufferPointer { xs in
            weight.value.data.withUnsafeBufferPointer { ws in
                out.data.withUnsafeMutableBufferPointer { os in
                    for b in 0..<n {
                        for co in 0..<outChannels {
                            let g = co / coutG, biasValue = bias?.value.data[co] ?? 0
                            let oBase = (b * outChannels + co) * ho * wo
                            for i in 0..<(ho * wo) { os[oBase + i] = biasValue }
                            for ci in 0..<cinG {
                                let xBase = (b * inChannels + g * cinG + ci) * h * w
                                for ky in 0..<k {
                                    for kx in 0..<k {
                                        let wv = ws[((co * cinG + ci) * k + ky) * k + kx]
                                        for oy in 0..<ho {
                                            let iy = oy * stride - padding + ky * dilation
                                            if iy < 0 || iy >= h { continue }
                                            for ox in 0..<wo {
                                                let ix = ox * stride - padding + kx * dilation
                                                if ix < 0 || ix >= w { continue }
                                                os[oBase + oy * wo + ox] += wv * xs[xBase + iy * w + ix]
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
        return out
    }

    public func backward(_ outputGradient: Tensor) -> Tensor {
        #if !COHORT_DOUBLE
        if usesOneDNN, let g = accelerated.backward(input: input, inputShape: inputShape, weights: weight.value, outputGradient: outputGradient,
                                                    hasBias: bias != nil, inputGradient: computesInputGradient) {
            weight.gradient.add(g.weights)
            if let bias, let gb = g.bias { bias.gradient.add(gb) }
            return g.input
        }
        #endif
        let x = input.arranged(.nchw), gy = outputGradient.arranged(.nchw)
        precondition(x.shape == inputShape, "Conv2d: backward without the forward input (oneDNN kept it, then failed; or no forward with recording)")
        let (n, h, w) = (x.shape[0], x.shape[2], x.shape[3])
        let (ho, wo) = (gy.shape[2], gy.shape[3])
        let cinG = inChannels / groups, coutG = outChannels / groups, k = kernel
        var gx = Tensor(shape: x.shape)
        if let bias { ChannelSums.addPlaneSums(of: gy, to: &bias.gradient) }
        x.data.withUnsafeBufferPointer { xs in
            gy.data.withUnsafeBufferPointer { gs in
                weight.value.data.withUnsafeBufferPointer { ws in
                    weight.gradient.data.withUnsafeMutableBufferPointer { gws in
                        gx.data.withUnsafeMutableBufferPointer { gxs in
                            for b in 0..<n {
                                for co in 0..<outChannels {
                                    let g = co / coutG, gBase = (b * outChannels + co) * ho * wo
                                    for ci in 0..<cinG {
                                        let xBase = (b * inChannels + g * cinG + ci) * h * w
                                        for ky in 0..<k {
                                            for kx in 0..<k {
                                                let wIndex = ((co * cinG + ci) * k + ky) * k + kx
                                                let wv = ws[wIndex]
                                                var gwSum: Double = 0
                                                for oy in 0..<ho {
                                                    let iy = oy * stride - padding + ky * dilation
                                                    if iy < 0 || iy >= h { continue }
                                                    for ox in 0..<wo {
                                                        let ix = ox * stride - padding + kx * dilation
                                                        if ix < 0 || ix >= w { continue }
                                                        let go = gs[gBase + oy * wo + ox]
                                                        gwSum += Double(go) * Double(xs[xBase + iy * w + ix])
                                                        gxs[xBase + iy * w + ix] += go * wv
                                                    }
                                                }
                                                gws[wIndex] += Scalar(gwSum)
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
        return (computesInputGradient ? gx : Tensor(shape: x.shape)).arranged(inputLayout)
    }
}
