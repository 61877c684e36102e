import CDNNL
import Foundation

/// An inference-only convolution through oneDNN with its bias and the layers after it done inside the primitive:
/// an optional residual sum, then an optional ReLU or ReLU6 (`dnnl_forward_inference` with post-ops), created once
/// per shape and reused. Batch normalisation enters as weights and bias folded by the caller. Returns nil when
/// oneDNN cannot build the primitive; the caller then runs the layers one by one.
public final class OneDNNFusedConvolution {
    /// What follows the (optional) residual sum.
    public enum Activation: Equatable, Sendable {
        case none
        case relu
        /// ReLU capped at `upper` (ReLU6: 6).
        case clip(upper: Scalar)
    }

    /// Fused convolutions run so far in this process (tests check that fusion happened).
    nonisolated(unsafe) public private(set) static var executions = 0

    private let cached = ConvolutionHandle()

    public init() {}

    /// `input` `[N, Cin, H, W]`, `weights` `[Cout, Cin/groups, k, k]`, `bias` `[Cout]`, `addend` nil or
    /// `[N, Cout, oh, ow]`; returns `activation(conv(input) + bias + addend)`, left in the primitive's layout.
    public func forward(input: ConvolutionOperand, weights: Tensor, bias: Tensor, addend: ConvolutionOperand?, activation: Activation,
                        stride: Int, padding: Int, dilation: Int, groups: Int, outputHeight: Int, outputWidth: Int) -> KeptTensor? {
        ConvolutionScratch.lock.lock()
        defer { ConvolutionScratch.lock.unlock() }
        let inputShape = input.shape
        let (n, ic, ih, iw) = (inputShape[0], inputShape[1], inputShape[2], inputShape[3])
        let (oc, k) = (weights.shape[0], weights.shape[2])
        let outputShape = [n, oc, outputHeight, outputWidth]
        if let addend, addend.shape != outputShape { return nil }
        let (kind, upper): (Int32, Float) = switch activation {
        case .none: (0, 0)
        case .relu: (1, 0)
        case .clip(let upper): (2, Float(upper))
        }
        let shape = [n, ic, ih, iw, oc, k, outputHeight, outputWidth, stride, padding, dilation, groups, addend == nil ? 0 : 1,
                     Int(kind), Int(upper.bitPattern)]
        guard let handle = cached.prepare(shape, create: {
            cdnnl_convolution_create_fused(&$0, Int32(n), Int32(ic), Int32(ih), Int32(iw), Int32(oc), Int32(k), Int32(outputHeight),
                                           Int32(outputWidth), Int32(stride), Int32(padding), Int32(dilation), Int32(groups), addend == nil ? 0 : 1,
                                           kind, upper, ConvolutionScratch.pool)
        }) else { return nil }
        var result: UnsafeMutablePointer<cdnnl_blocked>?
        let status = input.withPlainOrKept { x, keptX in
            weights.data.withUnsafeBufferPointer { w in
                bias.data.withUnsafeBufferPointer { b in
                    guard let addend else {
                        return cdnnl_convolution_fused_execute_kept(handle, x, keptX, w.baseAddress, b.baseAddress, nil, nil, &result)
                    }
                    return addend.withPlainOrKept { a, keptA in
                        cdnnl_convolution_fused_execute_kept(handle, x, keptX, w.baseAddress, b.baseAddress, a, keptA, &result)
                    }
                }
            }
        }
        guard status == 0, let result else { return nil }
        Self.executions += 1
        return KeptTensor(shape: outputShape, pointer: result)
    }
}

extension ConvolutionOperand {
    /// Calls `body` with the plain values' address (nil for a kept tensor) and the kept tensor (nil for a plain one).
    fileprivate func withPlainOrKept<R>(_ body: (UnsafePointer<Float>?, UnsafePointer<cdnnl_blocked>?) -> R) -> R {
        switch self {
        case .plain(let t): t.data.withUnsafeBufferPointer { body($0.baseAddress, nil) }
        case .kept(let k): withExtendedLifetime(k) { body(nil, UnsafePointer(k.pointer)) }
        }
    }
}
