#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// Atrous spatial pyramid pooling (Chen et al. 2017): a 1x1 branch, three dilated 3x3 branches (rates 12, 24, 36)
/// and an image-pooling branch broadcast back to the feature size, concatenated and projected to 256 channels.
/// torchvision names: `convs.0.0.weight` ... `convs.4.1.weight` (pooling branch), `project.0.weight`.
public final class ASPP: Module {
    let branches: [Sequential]
    let pooling: Sequential
    let project: Sequential
    private var broadcast = Upsample(scale: 1)

    public init(_ input: Int, rates: [Int] = [12, 24, 36], width: Int = 256) {
        var branches = [Sequential([Conv2d(input, width, kernel: 1, bias: false), BatchNorm2d(width), ReLU()])]
        for rate in rates {
            branches.append(Sequential([Conv2d(input, width, kernel: 3, padding: rate, dilation: rate, bias: false), BatchNorm2d(width), ReLU()]))
        }
        self.branches = branches
        pooling = Sequential([GlobalAveragePool(), Conv2d(input, width, kernel: 1, bias: false), BatchNorm2d(width), ReLU()])
        project = Sequential([Conv2d((rates.count + 2) * width, width, kernel: 1, bias: false), BatchNorm2d(width), ReLU(), Dropout(0)])
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        precondition(x.shape[2] == x.shape[3], "ASPP: square feature maps only, got \(x.shape)")
        var out = branches[0].forward(x, training: training)
        for branch in branches.dropFirst() { out = Channels.concatenate(out, branch.forward(x, training: training)) }
        // Bilinear upsampling of a 1x1 map to the feature size is a broadcast.
        broadcast = Upsample(scale: x.shape[2])
        let pooled = broadcast.forward(pooling.forward(x, training: training), training: training)
        return project.forward(Channels.concatenate(out, pooled), training: training)
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let g = project.backward(gy)
        let width = g.shape[1] / (branches.count + 1)
        var gx = pooling.backward(broadcast.backward(Channels.slice(g, from: branches.count * width, count: width)))
        for (i, branch) in branches.enumerated() { gx.add(branch.backward(Channels.slice(g, from: i * width, count: width))) }
        return gx
    }

    public var state: [(name: String, parameter: Parameter)] {
        branches.enumerated().flatMap { i, b in b.state.map { (name: "convs.\(i).\($0.name)", parameter: $0.parameter) } }
            + pooling.state.map { (name: "convs.\(branches.count).\($0.name)", parameter: $0.parameter) }
            + project.state.map { (name: "project.\($0.name)", parameter: $0.parameter) }
    }
}

/// torchvision's `deeplabv3_resnet50` without the auxiliary head: dilated ResNet-50 (output stride 8), ASPP,
/// 3x3 convolution, classifier, and bilinear upsampling to the input size. Output `[N, classes, H, W]`; H = W,
/// divisible by 8. Names `backbone.*` and `classifier.*`.
public final class DeepLabV3: Module, InputLayerProviding {
    let backbone: Sequential
    let classifier: Sequential
    private var upsample = Upsample(scale: 8, mode: .bilinear)
    var inputLayer: Module? { backbone }

    public init(channels: Int = 3, classes: Int) {
        backbone = ResNet.dilatedBackbone50(channels: channels)
        classifier = Sequential([ASPP(2048), Conv2d(256, 256, kernel: 3, padding: 1, bias: false), BatchNorm2d(256), ReLU(),
                                 Conv2d(256, classes, kernel: 1)])
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let features = classifier.forward(backbone.forward(x, training: training), training: training)
        upsample = Upsample(scale: x.shape[2] / features.shape[2], mode: .bilinear)
        return upsample.forward(features, training: training)
    }

    public func backward(_ gy: Tensor) -> Tensor { backbone.backward(classifier.backward(upsample.backward(gy))) }

    public var state: [(name: String, parameter: Parameter)] {
        backbone.state.map { (name: "backbone.\($0.name)", parameter: $0.parameter) }
            + classifier.state.map { (name: "classifier.\($0.name)", parameter: $0.parameter) }
    }
}
