#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// Upsampling by an integer `scale`: nearest neighbour, or bilinear with `align_corners=False` (torch's
/// `nn.Upsample`). `[N, C, H, W] -> [N, C, sH, sW]`.
public final class Upsample: Module {
    public enum Mode: Sendable { case nearest, bilinear }
    public let scale: Int, mode: Mode
    private var inputShape: [Int] = []

    public init(scale: Int, mode: Mode = .nearest) {
        self.scale = scale
        self.mode = mode
    }

    public var state: [(name: String, parameter: Parameter)] { [] }

    /// For output coordinate `o`: the two source indices and the weight of the second (bilinear).
    private func taps(_ o: Int, size: Int) -> (Int, Int, Scalar) {
        let source = max((Double(o) + 0.5) / Double(scale) - 0.5, 0)
        let i0 = min(Int(source), size - 1), i1 = min(i0 + 1, size - 1)
        return (i0, i1, Scalar(source - Double(i0)))
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        inputShape = x.shape
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (ho, wo) = (h * scale, w * scale)
        var out = Tensor(shape: [n, c, ho, wo])
        for plane in 0..<(n * c) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let o = (plane * ho + oy) * wo + ox
                    switch mode {
                    case .nearest: out.data[o] = x.data[(plane * h + oy / scale) * w + ox / scale]
                    case .bilinear:
                        let (y0, y1, fy) = taps(oy, size: h), (x0, x1, fx) = taps(ox, size: w)
                        let top = x.data[(plane * h + y0) * w + x0] * (1 - fx) + x.data[(plane * h + y0) * w + x1] * fx
                        let bottom = x.data[(plane * h + y1) * w + x0] * (1 - fx) + x.data[(plane * h + y1) * w + x1] * fx
                        out.data[o] = top * (1 - fy) + bottom * fy
                    }
                }
            }
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let (h, w) = (inputShape[2], inputShape[3])
        let (ho, wo) = (gy.shape[2], gy.shape[3])
        var gx = Tensor(shape: inputShape)
        for plane in 0..<(inputShape[0] * inputShape[1]) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let g = gy.data[(plane * ho + oy) * wo + ox]
                    switch mode {
                    case .nearest: gx.data[(plane * h + oy / scale) * w + ox / scale] += g
                    case .bilinear:
                        let (y0, y1, fy) = taps(oy, size: h), (x0, x1, fx) = taps(ox, size: w)
                        gx.data[(plane * h + y0) * w + x0] += g * (1 - fy) * (1 - fx)
                        gx.data[(plane * h + y0) * w + x1] += g * (1 - fy) * fx
                        gx.data[(plane * h + y1) * w + x0] += g * fy * (1 - fx)
                        gx.data[(plane * h + y1) * w + x1] += g * fy * fx
                    }
                }
            }
        }
        return gx
    }
}
