import CDNNL
import Foundation

/// A transposed 2-D convolution (groups 1, no dilation) through oneDNN, as the convolution it transposes: that
/// convolution maps `[N, Cout, Ho, Wo]` to `[N, Cin, H, W]` with the transposed layer's own weight `[Cin, Cout, k, k]`
/// read as OIHW. The transposed forward is its backward-data pass, the input gradient its forward pass and the
/// weight gradient its backward-weights pass with the roles of input and output gradient exchanged. Created once
/// per shape; nil when oneDNN cannot build it (the caller keeps its own kernels). Bias is the caller's.
public final class OneDNNTransposedConvolution {
    private let cached = ConvolutionHandle()

    public init() {}

    /// The handle of the convolution being transposed: input `[n, Cout, Ho, Wo]`, output `[n, Cin, H, W]`.
    private func prepare(input: [Int], weights: [Int], stride: Int, padding: Int, outputHeight: Int, outputWidth: Int)
        -> UnsafeMutablePointer<cdnnl_convolution>? {
        let (n, cin, h, w, cout, k) = (input[0], input[1], input[2], input[3], weights[1], weights[2])
        return cached.prepare([n, cin, h, w, cout, k, outputHeight, outputWidth, stride, padding]) {
            cdnnl_convolution_create(&$0, Int32(n), Int32(cout), Int32(outputHeight), Int32(outputWidth), Int32(cin), Int32(k), Int32(h), Int32(w),
                                     Int32(stride), Int32(padding), 1, 1, 0, 1, 0, ConvolutionScratch.pool)
        }
    }

    /// `input` `[N, Cin, H, W]`, `weights` `[Cin, Cout, k, k]`; output `[N, Cout, outputHeight, outputWidth]` without bias.
    public func forward(input: Tensor, weights: Tensor, stride: Int, padding: Int, outputHeight: Int, outputWidth: Int) -> Tensor? {
        ConvolutionScratch.lock.lock()
        defer { ConvolutionScratch.lock.unlock() }
        guard let handle = prepare(input: input.shape, weights: weights.shape, stride: stride, padding: padding, outputHeight: outputHeight,
                                   outputWidth: outputWidth) else { return nil }
        var output = Tensor.uninitialized([input.shape[0], weights.shape[1], outputHeight, outputWidth])
        let status = input.data.withUnsafeBufferPointer { x in
            weights.data.withUnsafeBufferPointer { w in
                output.data.withUnsafeMutableBufferPointer { cdnnl_convolution_backward_data(handle, x.baseAddress, w.baseAddress, $0.baseAddress) }
            }
        }
        return status == 0 ? output : nil
    }

    /// After ``forward(input:weights:stride:padding:outputHeight:outputWidth:)`` on the same shape: the input
    /// gradient and the weight gradient (to be added to an accumulator) for `outputGradient`.
    public func backward(input: Tensor, weights: Tensor, outputGradient: Tensor) -> (input: Tensor, weights: Tensor)? {
        ConvolutionScratch.lock.lock()
        defer { ConvolutionScratch.lock.unlock() }
        let key = cached.key
        guard let handle = cached.pointer, key.count == 10, Array(key[0..<4]) == input.shape, key[6] == outputGradient.shape[2],
              key[7] == outputGradient.shape[3] else { return nil }
        var gx = Tensor.uninitialized(input.shape), gw = Tensor.uninitialized(weights.shape)
        // Forward first: backward weights reuses its reordered copy of the output gradient.
        let dataStatus = outputGradient.data.withUnsafeBufferPointer { gy in
            weights.data.withUnsafeBufferPointer { w in
                gx.data.withUnsafeMutableBufferPointer { cdnnl_convolution_execute(handle, gy.baseAddress, w.baseAddress, nil, $0.baseAddress) }
            }
        }
        guard dataStatus == 0 else { return nil }
        let weightStatus = outputGradient.data.withUnsafeBufferPointer { gy in
            input.data.withUnsafeBufferPointer { x in
                gw.data.withUnsafeMutableBufferPointer { cdnnl_convolution_backward_weights(handle, gy.baseAddress, x.baseAddress, $0.baseAddress, nil) }
            }
        }
        return weightStatus == 0 ? (gx, gw) : nil
    }
}
