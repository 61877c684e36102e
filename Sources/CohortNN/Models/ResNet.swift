#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// A residual block: `relu(body(x) + shortcut(x))` with the shortcut the identity or a projection
/// (He et al. 2016). Names follow torchvision: `conv1`, `bn1`, ..., `downsample.0`, `downsample.1`.
public final class ResidualBlock: Module, FusedInferenceModule {
    let body: Sequential
    let downsample: Sequential?
    private let outputReLU = ReLU()
    /// The layout the shortcut's last forward output had (the sum takes the body's; its gradient goes back in this).
    private var shortcutLayout: TensorLayout = .nchw

    init(body: Sequential, downsample: Sequential?) {
        self.body = body
        self.downsample = downsample
    }

    /// torchvision's BasicBlock (two 3x3 convolutions; expansion 1).
    public static func basic(_ inplanes: Int, _ planes: Int, stride: Int) -> ResidualBlock {
        let body = Sequential(named: [
            ("conv1", Conv2d(inplanes, planes, kernel: 3, stride: stride, padding: 1, bias: false)), ("bn1", BatchNorm2d(planes)),
            ("relu", ReLU()), ("conv2", Conv2d(planes, planes, kernel: 3, padding: 1, bias: false)), ("bn2", BatchNorm2d(planes)),
        ])
        return ResidualBlock(body: body, downsample: projection(inplanes, planes, stride: stride))
    }

    /// torchvision's Bottleneck (1x1, 3x3 with the stride and dilation, 1x1 expanding by 4).
    public static func bottleneck(_ inplanes: Int, _ planes: Int, stride: Int, dilation: Int = 1) -> ResidualBlock {
        let body = Sequential(named: [
            ("conv1", Conv2d(inplanes, planes, kernel: 1, bias: false)), ("bn1", BatchNorm2d(planes)), ("relu1", ReLU()),
            ("conv2", Conv2d(planes, planes, kernel: 3, stride: stride, padding: dilation, dilation: dilation, bias: false)), ("bn2", BatchNorm2d(planes)),
            ("relu2", ReLU()), ("conv3", Conv2d(planes, planes * 4, kernel: 1, bias: false)), ("bn3", BatchNorm2d(planes * 4)),
        ])
        return ResidualBlock(body: body, downsample: projection(inplanes, planes * 4, stride: stride))
    }

    private static func projection(_ inplanes: Int, _ outplanes: Int, stride: Int) -> Sequential? {
        guard stride != 1 || inplanes != outplanes else { return nil }
        return Sequential([Conv2d(inplanes, outplanes, kernel: 1, stride: stride, bias: false), BatchNorm2d(outplanes)])
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        if !training && InferenceFusion.applies { return fusedInference(.plain(x)).tensor }
        var sum = body.forward(x, training: training)
        let shortcut = downsample?.forward(x, training: training) ?? x
        shortcutLayout = shortcut.layout
        sum.add(shortcut.arranged(sum.layout))
        return outputReLU.forward(sum, training: training)
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let g = outputReLU.backward(gy)
        var gx = body.backward(g)
        gx.add((downsample?.backward(g.arranged(shortcutLayout)) ?? g).arranged(gx.layout))
        return gx
    }

    func fusedInference(_ x: ConvolutionOperand) -> ConvolutionOperand {
        body.fusedInference(x, adding: downsample?.fusedInference(x) ?? x, relu: true)
    }

    public var state: [(name: String, parameter: Parameter)] {
        body.state + (downsample.map { d in d.state.map { (name: "downsample." + $0.name, parameter: $0.parameter) } } ?? [])
    }
}

/// Both branches start with a convolution; where their layouts differ the shortcut is reordered to the body's.
extension ResidualBlock: ChannelBlockReading, ChannelBlockPlanning {
    var readsChannelBlocks: Bool { true }
    func planChannelBlocks(outputMayBeBlocked: Bool) {
        body.planChannelBlocks(outputMayBeBlocked: outputMayBeBlocked)
        downsample?.planChannelBlocks(outputMayBeBlocked: outputMayBeBlocked)
    }
}

/// torchvision's ResNets by depth: 18 and 34 with basic blocks, 50 and 101 with bottlenecks.
public enum ResNet {
    /// The ResNet-50 trunk of DeepLabV3 (Chen et al. 2017): no pooling head; the last two stages keep their
    /// resolution with dilation 2 and 4 instead of stride (torchvision's `replace_stride_with_dilation=[F, T, T]`),
    /// so the output stride is 8. Output `[N, 2048, H/8, W/8]`.
    public static func dilatedBackbone50(channels: Int = 3) -> Sequential {
        var children: [(String, Module)] = [
            ("conv1", Conv2d(channels, 64, kernel: 7, stride: 2, padding: 3, bias: false)), ("bn1", BatchNorm2d(64)), ("relu", ReLU()),
            ("maxpool", MaxPool2d(3, stride: 2, padding: 1)),
        ]
        var inplanes = 64, dilation = 1
        for (stage, count) in [3, 4, 6, 3].enumerated() {
            let planes = 64 << stage
            let dilate = stage >= 2
            let previousDilation = dilation
            var stride = stage > 0 ? 2 : 1
            if dilate { dilation *= stride; stride = 1 }
            var layer: [Module] = []
            for b in 0..<count {
                layer.append(ResidualBlock.bottleneck(inplanes, planes, stride: b == 0 ? stride : 1, dilation: b == 0 ? previousDilation : dilation))
                inplanes = planes * 4
            }
            children.append(("layer\(stage + 1)", Sequential(layer)))
        }
        return Sequential(named: children)
    }

    public static func make(depth: Int, channels: Int = 3, classes: Int) -> Sequential {
        let (blocks, bottleneck): ([Int], Bool) = switch depth {
        case 18: ([2, 2, 2, 2], false)
        case 34: ([3, 4, 6, 3], false)
        case 50: ([3, 4, 6, 3], true)
        case 101: ([3, 4, 23, 3], true)
        default: preconditionFailure("ResNet depth \(depth) is not one of 18, 34, 50, 101")
        }
        var children: [(String, Module)] = [
            ("conv1", Conv2d(channels, 64, kernel: 7, stride: 2, padding: 3, bias: false)), ("bn1", BatchNorm2d(64)), ("relu", ReLU()),
            ("maxpool", MaxPool2d(3, stride: 2, padding: 1)),
        ]
        var inplanes = 64
        for (stage, count) in blocks.enumerated() {
            let planes = 64 << stage
            var layer: [Module] = []
            for b in 0..<count {
                let stride = b == 0 && stage > 0 ? 2 : 1
                layer.append(bottleneck ? ResidualBlock.bottleneck(inplanes, planes, stride: stride) : ResidualBlock.basic(inplanes, planes, stride: stride))
                inplanes = planes * (bottleneck ? 4 : 1)
            }
            children.append(("layer\(stage + 1)", Sequential(layer)))
        }
        children += [("avgpool", GlobalAveragePool()), ("flatten", Flatten()), ("fc", Linear(inplanes, classes))]
        return Sequential(named: children)
    }
}
