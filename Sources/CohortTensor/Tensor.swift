/// A dense float32 tensor in C order. Images are `[N, C, H, W]`; matrices `[rows, columns]`.
///
/// The reference backend computes on `data` directly; a fast backend can keep its own layout behind the same
/// API later (issue "Fast CPU backend").
public struct Tensor: Sendable, Equatable {
    /// Extent of each dimension.
    public var shape: [Int]
    /// `shape.product` values, C order (or, for an image tensor in ``TensorLayout/channelBlocks16``, that order).
    public var data: [Scalar]
    /// How `data` orders the values of an `[N, C, H, W]` tensor. Layers other than convolution, batch norm and
    /// ReLU read only ``TensorLayout/nchw``; containers keep blocked tensors away from them.
    public var layout: TensorLayout = .nchw

    /// A tensor with the given values; `data.count` must equal the product of `shape`.
    public init(shape: [Int], data: [Scalar]) {
        precondition(shape.allSatisfy { $0 >= 0 }, "Tensor: negative extent in \(shape)")
        precondition(data.count == shape.reduce(1, *), "Tensor: \(data.count) values for shape \(shape)")
        self.shape = shape
        self.data = data
    }

    /// A tensor of `value` everywhere.
    public init(shape: [Int], repeating value: Scalar = 0) {
        self.init(shape: shape, data: [Scalar](repeating: value, count: shape.reduce(1, *)))
    }

    /// A tensor whose values are unspecified, for outputs that a kernel writes in full before anything reads them
    /// (no zeroing pass).
    public static func uninitialized(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, data: [Scalar](unsafeUninitializedCapacity: count) { _, initialized in initialized = count })
    }

    /// Number of values.
    public var count: Int { data.count }

    /// The same values under another shape with the same count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) -> \(newShape): counts differ")
        precondition(layout == .nchw, "reshape of a tensor in \(layout)")
        return Tensor(shape: newShape, data: data)
    }

    /// L2 norm of all values (in double precision).
    public var norm: Double { data.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot() }

    /// Adds `other` (same shape) in place.
    public mutating func add(_ other: Tensor) {
        precondition(other.shape == shape && other.layout == layout, "add: shapes \(shape) and \(other.shape) (or layouts) differ")
        data.withUnsafeMutableBufferPointer { a in other.data.withUnsafeBufferPointer { b in for i in a.indices { a[i] += b[i] } } }
    }
}

/// The order of an image tensor's values in memory.
public enum TensorLayout: Sendable, Equatable {
    /// `[N, C, H, W]` in C order.
    case nchw
    /// oneDNN's `nChw16c`: `[N, C / 16, H, W, 16]`, channel `c` at block `c / 16`, lane `c % 16` (C a multiple of
    /// 16). A convolution's training output stays in it when the layers after it (batch norm, ReLU, another
    /// convolution, a residual sum) read it as it is, so that no reorder to NCHW and back runs between them.
    case channelBlocks16
}
