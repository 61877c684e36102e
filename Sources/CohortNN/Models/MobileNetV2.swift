#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// MobileNetV2's inverted residual block (Sandler et al. 2018): 1x1 expansion (unless t = 1), 3x3 depthwise
/// convolution with the stride, linear 1x1 projection; a residual connection when shape is kept. torchvision names:
/// `conv.0.0.weight`, `conv.0.1.*`, ... .
public final class InvertedResidual: Module, FusedInferenceModule {
    let body: Sequential
    let residual: Bool

    public init(_ input: Int, _ output: Int, stride: Int, expansion: Int) {
        let hidden = input * expansion
        var layers: [Module] = []
        if expansion != 1 { layers.append(MobileNetV2.convBNReLU6(input, hidden, kernel: 1)) }
        layers.append(MobileNetV2.convBNReLU6(hidden, hidden, kernel: 3, stride: stride, groups: hidden))
        layers += [Conv2d(hidden, output, kernel: 1, bias: false), BatchNorm2d(output)]
        body = Sequential(named: [("conv", Sequential(layers))])
        residual = stride == 1 && input == output
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        if !training && InferenceFusion.applies { return fusedInference(.plain(x)).tensor }
        var y = body.forward(x, training: training)
        if residual { y.add(x.arranged(y.layout)) }
        return y
    }

    public func backward(_ gy: Tensor) -> Tensor {
        var gx = body.backward(gy)
        if residual { gx.add(gy.arranged(gx.layout)) }
        return gx
    }

    func fusedInference(_ x: ConvolutionOperand) -> ConvolutionOperand { body.fusedInference(x, adding: residual ? x : nil, relu: false) }

    public var state: [(name: String, parameter: Parameter)] { body.state }
}

/// The input goes to the first convolution and, where the layouts differ, to the residual sum reordered.
extension InvertedResidual: ChannelBlockReading, ChannelBlockPlanning {
    var readsChannelBlocks: Bool { body.readsChannelBlocks }
    func planChannelBlocks(outputMayBeBlocked: Bool) { body.planChannelBlocks(outputMayBeBlocked: outputMayBeBlocked) }
}

/// torchvision's `mobilenet_v2` (width 1.0): `features.0` ... `features.18`, `classifier.1`.
public enum MobileNetV2 {
    /// Convolution, BatchNorm and ReLU6 (torchvision's Conv2dNormActivation), padding (k - 1) / 2.
    public static func convBNReLU6(_ input: Int, _ output: Int, kernel: Int, stride: Int = 1, groups: Int = 1) -> Sequential {
        Sequential([Conv2d(input, output, kernel: kernel, stride: stride, padding: (kernel - 1) / 2, groups: groups, bias: false),
                    BatchNorm2d(output), ReLU(cap: 6)])
    }

    public static func make(channels: Int = 3, classes: Int, dropout: Scalar = 0.2, seed: UInt64 = 0) -> Sequential {
        let settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
        var features: [Module] = [convBNReLU6(channels, 32, kernel: 3, stride: 2)]
        var input = 32
        for (t, c, n, s) in settings {
            for i in 0..<n {
                features.append(InvertedResidual(input, c, stride: i == 0 ? s : 1, expansion: t))
                input = c
            }
        }
        features.append(convBNReLU6(input, 1280, kernel: 1))
        return Sequential(named: [
            ("features", Sequential(features)), ("pool", GlobalAveragePool()), ("flatten", Flatten()),
            ("classifier", Sequential([Dropout(dropout, seed: seed), Linear(1280, classes)])),
        ])
    }
}
