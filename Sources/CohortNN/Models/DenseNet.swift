#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// A dense block (Huang et al. 2017): each layer sees the concatenation of the block input and every earlier
/// layer's output and adds `growth` channels. torchvision names: `denselayer1.norm1.weight`, ... .
public final class DenseBlock: Module {
    let layers: [Sequential]
    private var widths: [Int] = []

    public init(layers count: Int, input: Int, growth: Int = 32, bottleneck: Int = 4) {
        layers = (0..<count).map { i in
            let channels = input + i * growth
            return Sequential(named: [
                ("norm1", BatchNorm2d(channels)), ("relu1", ReLU()), ("conv1", Conv2d(channels, bottleneck * growth, kernel: 1, bias: false)),
                ("norm2", BatchNorm2d(bottleneck * growth)), ("relu2", ReLU()),
                ("conv2", Conv2d(bottleneck * growth, growth, kernel: 3, padding: 1, bias: false)),
            ])
        }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var features = x
        widths = []
        for layer in layers {
            widths.append(features.shape[1])
            features = Channels.concatenate(features, layer.forward(features, training: training))
        }
        return features
    }

    public func backward(_ gy: Tensor) -> Tensor {
        var g = gy
        for (layer, width) in zip(layers, widths).reversed() {
            var (previous, new) = Channels.split(g, first: width)
            previous.add(layer.backward(new))
            g = previous
        }
        return g
    }

    public var state: [(name: String, parameter: Parameter)] {
        layers.enumerated().flatMap { i, layer in layer.state.map { (name: "denselayer\(i + 1).\($0.name)", parameter: $0.parameter) } }
    }
}

/// torchvision's DenseNet-121 (growth 32, blocks 6/12/24/16, compression 0.5): `features.conv0`, `features.norm0`,
/// `features.denseblockN`, `features.transitionN`, `features.norm5`, `classifier`.
public enum DenseNet {
    public static func make121(channels: Int = 3, classes: Int) -> Sequential {
        var features: [(String, Module)] = [
            ("conv0", Conv2d(channels, 64, kernel: 7, stride: 2, padding: 3, bias: false)), ("norm0", BatchNorm2d(64)), ("relu0", ReLU()),
            ("pool0", MaxPool2d(3, stride: 2, padding: 1)),
        ]
        var width = 64
        for (i, count) in [6, 12, 24, 16].enumerated() {
            features.append(("denseblock\(i + 1)", DenseBlock(layers: count, input: width)))
            width += count * 32
            if i < 3 {
                features.append(("transition\(i + 1)", Sequential(named: [
                    ("norm", BatchNorm2d(width)), ("relu", ReLU()), ("conv", Conv2d(width, width / 2, kernel: 1, bias: false)), ("pool", AvgPool2d(2)),
                ])))
                width /= 2
            }
        }
        features.append(("norm5", BatchNorm2d(width)))
        return Sequential(named: [
            ("features", Sequential(named: features)), ("relu", ReLU()), ("pool", GlobalAveragePool()), ("flatten", Flatten()),
            ("classifier", Linear(width, classes)),
        ])
    }
}
