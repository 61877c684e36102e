import CohortTensor

/// Average over all positions of each channel (torch.nn.AdaptiveAvgPool2d(1)): `[N, C, H, W] -> [N, C, 1, 1]`.
public final class GlobalAveragePool: Module {
    private var inputShape: [Int] = []
    public init() {}
    public var state: [(name: String, parameter: Parameter)] { [] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        let (n, c, hw) = (x.shape[0], x.shape[1], x.shape[2] * x.shape[3])
        var out = Tensor(shape: [n, c, 1, 1])
        for plane in 0..<(n * c) {
            var sum: Double = 0
            for i in 0..<hw { sum += Double(x.data[plane * hw + i]) }
            out.data[plane] = Float(sum / Double(hw))
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let hw = inputShape[2] * inputShape[3]
        var gx = Tensor(shape: inputShape)
        for plane in 0..<gy.count { for i in 0..<hw { gx.data[plane * hw + i] = gy.data[plane] / Float(hw) } }
        return gx
    }
}

/// Average pooling over `kernel x kernel` windows with `stride` (default `kernel`), no padding (torch's
/// AvgPool2d with its defaults).
public final class AvgPool2d: Module {
    public let kernel, stride: Int
    private var inputShape: [Int] = []

    public init(_ kernel: Int, stride: Int? = nil) {
        self.kernel = kernel
        self.stride = stride ?? kernel
    }

    public var state: [(name: String, parameter: Parameter)] { [] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let ho = (h - kernel) / stride + 1, wo = (w - kernel) / stride + 1
        var out = Tensor(shape: [n, c, ho, wo])
        let area = Float(kernel * kernel)
        for plane in 0..<(n * c) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var sum: Float = 0
                    for ky in 0..<kernel { for kx in 0..<kernel { sum += x.data[(plane * h + oy * stride + ky) * w + ox * stride + kx] } }
                    out.data[(plane * ho + oy) * wo + ox] = sum / area
                }
            }
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3])
        let (ho, wo) = (gy.shape[2], gy.shape[3])
        var gx = Tensor(shape: inputShape)
        let area = Float(kernel * kernel)
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let g = gy.data[(plane * ho + oy) * wo + ox] / area
                    for ky in 0..<kernel { for kx in 0..<kernel { gx.data[(plane * h + oy * stride + ky) * w + ox * stride + kx] += g } }
                }
            }
        }
        return gx
    }
}
