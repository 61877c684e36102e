import CDNNL

/// A convolution's output left in the layout its oneDNN primitive chose (usually channels in blocks of 16), so
/// that the next fused inference convolution reads it without a reorder to NCHW and back. Immutable; converted to
/// a plain ``Tensor`` only where a layer other than a fused convolution needs it.
public final class KeptTensor {
    /// The logical NCHW shape.
    public let shape: [Int]
    let pointer: UnsafeMutablePointer<cdnnl_blocked>

    init(shape: [Int], pointer: UnsafeMutablePointer<cdnnl_blocked>) {
        self.shape = shape
        self.pointer = pointer
    }

    /// Kept tensors reordered to NCHW so far in this process (tests check that chains stay in oneDNN's layout).
    nonisolated(unsafe) public private(set) static var conversions = 0

    deinit { cdnnl_blocked_free(pointer) }

    /// The same values in plain NCHW. A reorder between two layouts of memory oneDNN itself laid out fails only
    /// when memory runs out, and then this stops the process with oneDNN's status.
    public func plain() -> Tensor {
        ConvolutionScratch.lock.lock()
        defer { ConvolutionScratch.lock.unlock() }
        guard let (engine, stream) = ConvolutionScratch.engine else { preconditionFailure("oneDNN could not create a CPU engine") }
        var output = Tensor.uninitialized(shape)
        let status = output.data.withUnsafeMutableBufferPointer {
            cdnnl_blocked_to_plain(pointer, $0.baseAddress, Int32(shape[0]), Int32(shape[1]), Int32(shape[2]), Int32(shape[3]), engine, stream)
        }
        Self.conversions += 1
        precondition(status == 0, "oneDNN could not reorder a \(shape) activation to NCHW (status \(status))")
        return output
    }
}

/// An input of a fused inference convolution: a plain NCHW tensor or one kept in a primitive's layout.
public enum ConvolutionOperand {
    case plain(Tensor)
    case kept(KeptTensor)

    public var shape: [Int] {
        switch self {
        case .plain(let t): t.shape
        case .kept(let k): k.shape
        }
    }

    /// The values as a plain tensor (a reorder for a kept one).
    public var tensor: Tensor {
        switch self {
        case .plain(let t): t
        case .kept(let k): k.plain()
        }
    }
}

extension ConvolutionScratch {
    /// A CPU engine and stream for reorders that belong to no convolution handle (created once; nil if oneDNN fails).
    nonisolated(unsafe) static let engine: (dnnl_engine_t, dnnl_stream_t)? = {
        var engine: dnnl_engine_t?, stream: dnnl_stream_t?
        guard dnnl_engine_create(&engine, dnnl_cpu, 0) == dnnl_success, let engine,
              dnnl_stream_create(&stream, engine, dnnl_stream_default_flags.rawValue) == dnnl_success, let stream else { return nil }
        return (engine, stream)
    }()
}
