#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif
import Foundation

/// Element-wise activations with their derivatives, any shape: LeakyReLU (slope for x < 0), SiLU
/// `x * sigmoid(x)` (Elfwing et al. 2018) and the logistic sigmoid.
public final class Activation: Module {
    public enum Kind: Sendable, Equatable {
        case leakyReLU(slope: Scalar)
        case silu
        case sigmoid
    }

    public let kind: Kind
    private var input = Tensor(shape: [0])

    public init(_ kind: Kind) { self.kind = kind }

    public var state: [(name: String, parameter: Parameter)] { [] }

    @inline(__always) private static func sigmoid(_ x: Scalar) -> Scalar { 1 / (1 + exp(-x)) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = GradientRecording.kept(x)
        var out = x
        for i in out.data.indices {
            let v = x.data[i]
            switch kind {
            case .leakyReLU(let slope): out.data[i] = v >= 0 ? v : slope * v
            case .silu: out.data[i] = v * Self.sigmoid(v)
            case .sigmoid: out.data[i] = Self.sigmoid(v)
            }
        }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        var gx = gy
        for i in gx.data.indices {
            let v = input.data[i], s = Self.sigmoid(v)
            switch kind {
            case .leakyReLU(let slope): gx.data[i] *= v >= 0 ? 1 : slope
            case .silu: gx.data[i] *= s * (1 + v * (1 - s))
            case .sigmoid: gx.data[i] *= s * (1 - s)
            }
        }
        return gx
    }
}

/// Softmax over the last dimension of `[N, C]` (probabilities for scoring).
public func softmax(_ logits: Tensor) -> Tensor {
    let (n, c) = (logits.shape[0], logits.count / max(logits.shape[0], 1))
    var out = logits
    for b in 0..<n {
        let row = logits.data[(b * c)..<((b + 1) * c)]
        let top = row.max() ?? 0
        let exps = row.map { exp($0 - top) }
        let z = exps.reduce(0, +)
        for k in 0..<c { out.data[b * c + k] = exps[k] / z }
    }
    return out
}
