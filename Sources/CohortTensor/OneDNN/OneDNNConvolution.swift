import CDNNL

/// A 2-D convolution forward pass through oneDNN (its `dnnl_forward_inference` primitive, plain NCHW/OIHW
/// tensors), created once per shape and reused. Returns nil when oneDNN cannot build the primitive, and the caller
/// falls back to the reference loops; results agree with them within float32 rounding.
public final class OneDNNConvolution {
    private var handle: UnsafeMutablePointer<cdnnl_convolution>?
    private var key: [Int] = []

    public init() {}

    deinit { cdnnl_convolution_destroy(handle) }

    /// `input` `[N, Cin, H, W]`, `weights` `[Cout, Cin/groups, k, k]`, `bias` `[Cout]` or nil; output `[N, Cout, oh, ow]`.
    public func forward(input: Tensor, weights: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int,
                        outputHeight: Int, outputWidth: Int) -> Tensor? {
        let (n, ic, ih, iw) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (oc, k) = (weights.shape[0], weights.shape[2])
        let shape = [n, ic, ih, iw, oc, k, outputHeight, outputWidth, stride, padding, dilation, groups, bias == nil ? 0 : 1]
        if shape != key {
            cdnnl_convolution_destroy(handle)
            handle = nil
            key = []
            var created: UnsafeMutablePointer<cdnnl_convolution>?
            guard cdnnl_convolution_create(&created, Int32(n), Int32(ic), Int32(ih), Int32(iw), Int32(oc), Int32(k), Int32(outputHeight),
                                           Int32(outputWidth), Int32(stride), Int32(padding), Int32(dilation), Int32(groups),
                                           bias == nil ? 0 : 1) == 0, let created else { return nil }
            handle = created
            key = shape
        }
        var output = Tensor(shape: [n, oc, outputHeight, outputWidth])
        let status = input.data.withUnsafeBufferPointer { x in
            weights.data.withUnsafeBufferPointer { w in
                output.data.withUnsafeMutableBufferPointer { y in
                    if let bias {
                        return bias.data.withUnsafeBufferPointer { b in cdnnl_convolution_execute(handle, x.baseAddress, w.baseAddress, b.baseAddress, y.baseAddress) }
                    }
                    return cdnnl_convolution_execute(handle, x.baseAddress, w.baseAddress, nil, y.baseAddress)
                }
            }
        }
        return status == 0 ? output : nil
    }
}
