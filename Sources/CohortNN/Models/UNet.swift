#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// A 2-D U-Net (Ronneberger et al. 2015): double 3x3 convolutions with BatchNorm, three poolings down, a
/// bottleneck, transposed-convolution upsampling, skip connections by channel concatenation, and a 1x1 head.
/// Output `[N, classes, H, W]` logits (H and W divisible by 8). Names: `down.i.*`, `bottleneck.*`, `up.i.*`,
/// `decode.i.*`, `head.*`.
public final class UNet: Module, InputLayerProviding {
    let down: [Sequential], pools: [MaxPool2d], bottleneck: Sequential, up: [ConvTranspose2d], decode: [Sequential]
    let head: Conv2d
    private var skipChannels: [Int] = []

    static func doubleConv(_ input: Int, _ output: Int) -> Sequential {
        Sequential([Conv2d(input, output, kernel: 3, padding: 1, bias: false), BatchNorm2d(output), ReLU(),
                    Conv2d(output, output, kernel: 3, padding: 1, bias: false), BatchNorm2d(output), ReLU()])
    }

    /// `widths` of the three levels; the bottleneck has twice the last.
    public init(channels: Int = 1, classes: Int = 2, widths: [Int] = [8, 16, 32]) {
        var input = channels
        var down: [Sequential] = []
        for w in widths { down.append(Self.doubleConv(input, w)); input = w }
        self.down = down
        pools = widths.map { _ in MaxPool2d(2) }
        bottleneck = Self.doubleConv(input, input * 2)
        var up: [ConvTranspose2d] = [], decode: [Sequential] = []
        var current = input * 2
        for w in widths.reversed() {
            up.append(ConvTranspose2d(current, w, kernel: 2, stride: 2))
            decode.append(Self.doubleConv(2 * w, w))
            current = w
        }
        self.up = up
        self.decode = decode
        head = Conv2d(current, classes, kernel: 1)
    }

    var inputLayer: Module? { down.first }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        var skips: [Tensor] = [], h = x
        for (block, pool) in zip(down, pools) {
            h = block.forward(h, training: training)
            skips.append(h)
            h = pool.forward(h, training: training)
        }
        h = bottleneck.forward(h, training: training)
        skipChannels = []
        for (u, d) in zip(up, decode) {
            let skip = skips.removeLast()
            skipChannels.append(skip.shape[1])
            h = d.forward(Channels.concatenate(skip, u.forward(h, training: training)), training: training)
        }
        return head.forward(h, training: training)
    }

    public func backward(_ gy: Tensor) -> Tensor {
        var g = head.backward(gy)
        var skipGradients: [Tensor] = []
        for (index, (u, d)) in zip(up, decode).enumerated().reversed() {
            let (gSkip, gUp) = Channels.split(d.backward(g), first: skipChannels[index])
            skipGradients.append(gSkip)
            g = u.backward(gUp)
        }
        g = bottleneck.backward(g)
        for (block, pool) in zip(down, pools).reversed() {
            g = pool.backward(g)
            g.add(skipGradients.removeLast())
            g = block.backward(g)
        }
        return g
    }

    public var state: [(name: String, parameter: Parameter)] {
        func named(_ prefix: String, _ m: Module) -> [(name: String, parameter: Parameter)] { m.state.map { (prefix + "." + $0.name, $0.parameter) } }
        return down.enumerated().flatMap { named("down.\($0.offset)", $0.element) } + named("bottleneck", bottleneck)
            + up.enumerated().flatMap { named("up.\($0.offset)", $0.element) } + decode.enumerated().flatMap { named("decode.\($0.offset)", $0.element) }
            + named("head", head)
    }
}
