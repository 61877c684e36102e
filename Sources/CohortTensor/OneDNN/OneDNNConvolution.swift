import CDNNL
import Foundation

/// The scratch buffers every convolution shares for short-lived reordered copies, and the lock that keeps calls
/// that use them from overlapping.
enum ConvolutionScratch {
    nonisolated(unsafe) static let pool: UnsafeMutablePointer<cdnnl_scratch_pool> = {
        let pool = UnsafeMutablePointer<cdnnl_scratch_pool>.allocate(capacity: 1)
        pool.initialize(to: cdnnl_scratch_pool())
        return pool
    }()
    static let lock = NSLock()
}

/// One oneDNN convolution handle, created for a shape key and reused while calls keep that key; a failed creation
/// is remembered for its key, so callers fall back without asking oneDNN again.
final class ConvolutionHandle {
    private(set) var pointer: UnsafeMutablePointer<cdnnl_convolution>?
    private(set) var key: [Int] = []

    deinit { cdnnl_convolution_destroy(pointer) }

    /// The handle for `key`: the current one, or (when the key changed) one made by `create`, which returns
    /// oneDNN's status. Nil when it could not be created.
    func prepare(_ key: [Int], create: (inout UnsafeMutablePointer<cdnnl_convolution>?) -> Int32) -> UnsafeMutablePointer<cdnnl_convolution>? {
        if key != self.key {
            cdnnl_convolution_destroy(pointer)
            pointer = nil
            self.key = key
            var created: UnsafeMutablePointer<cdnnl_convolution>?
            if create(&created) == 0 { pointer = created }
        }
        return pointer
    }
}

/// A 2-D convolution forward pass through oneDNN (its `dnnl_forward_inference` primitive, plain NCHW/OIHW
/// tensors), created once per shape and reused. Returns nil when oneDNN cannot build the primitive, and the caller
/// falls back to the reference loops; results agree with them within float32 rounding.
public final class OneDNNConvolution {
    private let cached = ConvolutionHandle()

    public init() {}

    /// Whether every shared scratch copy is freed after each call (normally only those above 64 MB are), so that
    /// small test shapes go through the reallocation that large activations take.
    public static var releasesAllScratch: Bool {
        get { ConvolutionScratch.pool.pointee.releaseAll != 0 }
        set {
            ConvolutionScratch.lock.lock()
            defer { ConvolutionScratch.lock.unlock() }
            ConvolutionScratch.pool.pointee.releaseAll = newValue ? 1 : 0
        }
    }

    /// Whether the last forward's input is held here in the primitive's own layout, so that the weight gradient
    /// does not read the caller's copy (which the caller may then let go of).
    public var keepsInput: Bool { cdnnl_convolution_keeps_input(cached.pointer) != 0 }

    /// `input` `[N, Cin, H, W]` in either layout, `weights` `[Cout, Cin/groups, k, k]`, `bias` `[Cout]` or nil;
    /// output `[N, Cout, oh, ow]`, in channel blocks of 16 when `blockedOutput` and Cout is a multiple of 16
    /// (for a batch norm and a convolution that read it as it is), else NCHW.
    public func forward(input: Tensor, weights: Tensor, bias: Tensor?, stride: Int, padding: Int, dilation: Int, groups: Int,
                        outputHeight: Int, outputWidth: Int, blockedOutput: Bool = false) -> Tensor? {
        ConvolutionScratch.lock.lock()
        defer { ConvolutionScratch.lock.unlock() }
        let (n, ic, ih, iw) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let (oc, k) = (weights.shape[0], weights.shape[2])
        let layouts = (input.layout == .channelBlocks16 ? 1 : 0) | (blockedOutput && oc % 16 == 0 ? 2 : 0)
        let shape = [n, ic, ih, iw, oc, k, outputHeight, outputWidth, stride, padding, dilation, groups, bias == nil ? 0 : 1, layouts]
        guard let handle = cached.prepare(shape, create: {
            cdnnl_convolution_create(&$0, Int32(n), Int32(ic), Int32(ih), Int32(iw), Int32(oc), Int32(k), Int32(outputHeight), Int32(outputWidth),
                                     Int32(stride), Int32(padding), Int32(dilation), Int32(groups), bias == nil ? 0 : 1, 0, Int32(layouts),
                                     ConvolutionScratch.pool)
        }) else { return nil }
        // Every value is written by the primitive (or its reorder back): no zeroing pass.
        var output = Tensor.uninitialized([n, oc, outputHeight, outputWidth])
        if layouts & 2 != 0 { output.layout = .channelBlocks16 }
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

    /// After ``forward(input:weights:bias:stride:padding:dilation:groups:outputHeight:outputWidth:)`` on the same
    /// shape: the input gradient, and the weight and bias gradients (to be added to accumulators). Nil on failure.
    /// `input` may be empty when ``keepsInput`` was true after the forward pass; `inputShape` is its shape.
    /// `outputGradient` comes in the forward output's layout, the input gradient in the forward input's.
    /// Without `inputGradient` the input gradient is not computed and comes back as zeros.
    public func backward(input: Tensor, inputShape: [Int], weights: Tensor, outputGradient: Tensor, hasBias: Bool, inputGradient: Bool = true)
        -> (input: Tensor, weights: Tensor, bias: Tensor?)? {
        ConvolutionScratch.lock.lock()
        defer { ConvolutionScratch.lock.unlock() }
        let key = cached.key
        guard let handle = cached.pointer, key.count == 14, Array(key[0..<4]) == inputShape, input.count == 0 ? keepsInput : input.shape == inputShape, key[4] == weights.shape[0],
              key[6] == outputGradient.shape[2], key[7] == outputGradient.shape[3] else { return nil }
        let inputLayout: TensorLayout = key[13] & 1 != 0 ? .channelBlocks16 : .nchw
        precondition((outputGradient.layout == .channelBlocks16) == (key[13] & 2 != 0) && (input.count == 0 || input.layout == inputLayout),
                     "OneDNNConvolution.backward: a gradient or input in another layout than the forward pass's")
        var gx = inputGradient ? Tensor.uninitialized(inputShape) : Tensor(shape: inputShape), gw = Tensor.uninitialized(weights.shape)
        gx.layout = inputLayout
        var gb = Tensor.uninitialized([weights.shape[0]])
        let dataStatus = outputGradient.data.withUnsafeBufferPointer { gy in
            guard inputGradient else { return cdnnl_convolution_skip_backward_data(handle, gy.baseAddress) }
            return weights.data.withUnsafeBufferPointer { w in
                gx.data.withUnsafeMutableBufferPointer { cdnnl_convolution_backward_data(handle, gy.baseAddress, w.baseAddress, $0.baseAddress) }
            }
        }
        guard dataStatus == 0 else { return nil }
        let weightStatus = input.data.withUnsafeBufferPointer { x in
            outputGradient.data.withUnsafeBufferPointer { gy in
                gw.data.withUnsafeMutableBufferPointer { w in
                    gb.data.withUnsafeMutableBufferPointer { b in
                        cdnnl_convolution_backward_weights(handle, x.baseAddress, gy.baseAddress, w.baseAddress, hasBias ? b.baseAddress : nil)
                    }
                }
            }
        }
        guard weightStatus == 0 else { return nil }
        return (gx, gw, hasBias ? gb : nil)
    }
}
