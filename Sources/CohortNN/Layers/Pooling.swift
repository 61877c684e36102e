#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

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
            out.data[plane] = Scalar(sum / Double(hw))
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let hw = inputShape[2] * inputShape[3]
        var gx = Tensor(shape: inputShape)
        for plane in 0..<gy.count { for i in 0..<hw { gx.data[plane * hw + i] = gy.data[plane] / Scalar(hw) } }
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
        let area = Scalar(kernel * kernel)
        for plane in 0..<(n * c) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var sum: Scalar = 0
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
        let area = Scalar(kernel * kernel)
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

/// Adaptive average pooling to `outputHeight x outputWidth` (torch.nn.AdaptiveAvgPool2d): output cell i averages
/// input rows floor(i H / out) ..< ceil((i + 1) H / out), and the same for columns.
public final class AdaptiveAvgPool2d: Module {
    public let outputHeight, outputWidth: Int
    private var inputShape: [Int] = []

    public init(_ outputHeight: Int, _ outputWidth: Int) {
        (self.outputHeight, self.outputWidth) = (outputHeight, outputWidth)
    }

    public var state: [(name: String, parameter: Parameter)] { [] }

    private func bins(_ size: Int, _ out: Int) -> [Range<Int>] {
        (0..<out).map { i in (i * size / out)..<(((i + 1) * size + out - 1) / out) }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let rows = bins(h, outputHeight), columns = bins(w, outputWidth)
        var out = Tensor(shape: [n, c, outputHeight, outputWidth])
        for plane in 0..<(n * c) {
            for (i, r) in rows.enumerated() {
                for (j, cols) in columns.enumerated() {
                    var sum: Scalar = 0
                    for y in r { for xx in cols { sum += x.data[(plane * h + y) * w + xx] } }
                    out.data[(plane * outputHeight + i) * outputWidth + j] = sum / Scalar(r.count * cols.count)
                }
            }
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3])
        let rows = bins(h, outputHeight), columns = bins(w, outputWidth)
        var gx = Tensor(shape: inputShape)
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            for (i, r) in rows.enumerated() {
                for (j, cols) in columns.enumerated() {
                    let g = gy.data[(plane * outputHeight + i) * outputWidth + j] / Scalar(r.count * cols.count)
                    for y in r { for xx in cols { gx.data[(plane * h + y) * w + xx] += g } }
                }
            }
        }
        return gx
    }
}
