#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
import CCohortKernels
#endif

/// `max(0, x)` (and ReLU6 `min(max(0, x), 6)` with `cap`), any shape.
public final class ReLU: Module {
    public let cap: Scalar?
    /// For the backward pass, one bit per input element: whether the gradient passes (0 < x < cap), eight
    /// elements to a byte (element i is bit i % 8 of byte i / 8). A 32nd of keeping the input itself.
    private(set) var passes: [UInt8] = []
    private var shape: [Int] = []

    public init(cap: Scalar? = nil) { self.cap = cap }

    public var state: [(name: String, parameter: Parameter)] { [] }

    /// `body(start, length, byte)` over `count` elements in parallel runs of whole mask bytes (groups of eight
    /// elements, so no two threads write one byte): elements `start ..< start + length`, from mask byte `byte` on.
    private static func forMaskBytes(_ count: Int, _ body: (Int, Int, Int) -> Void) {
        ComputeThreads.forRanges((count + 7) / 8, minimumChunk: 1 << 12) { groups in
            let start = groups.lowerBound * 8
            body(start, min(count, groups.upperBound * 8) - start, groups.lowerBound)
        }
    }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        let upper = cap ?? .infinity, recording = GradientRecording.isEnabled, count = x.count
        shape = x.shape
        passes = []  // the previous pass's mask goes before the new one is allocated
        var mask = [UInt8](repeating: 0, count: recording ? (count + 7) / 8 : 0)
        // One pass from the input into a new buffer, writing the mask on the way.
        let data = x.data.withUnsafeBufferPointer { xs in
            mask.withUnsafeMutableBufferPointer { ms in
                [Scalar](unsafeUninitializedCapacity: count) { out, initialized in
                    if let s = xs.baseAddress, let o = out.baseAddress {
                        let m = recording ? ms.baseAddress : nil  // an empty array may still have an address
                        Self.forMaskBytes(count) { start, length, byte in
                            ReLUKernels.forward(s + start, length, upper: upper, into: o + start, mask: m.map { $0 + byte })
                        }
                    }
                    initialized = count
                }
            }
        }
        passes = mask
        var y = Tensor(shape: x.shape, data: data)
        y.layout = x.layout  // element-wise: any layout
        return y
    }

    /// Drops the recorded mask (before a paired batch norm allocates the next one).
    func releasePasses() { passes = [] }

    /// Takes the mask of a forward pass of `shape` that a paired batch norm wrote while clamping its output.
    func adoptPasses(_ mask: [UInt8], shape: [Int]) {
        precondition(mask.count == (shape.reduce(1, *) + 7) / 8, "ReLU: a mask of \(mask.count) bytes for \(shape)")
        (passes, self.shape) = (mask, shape)
    }

    /// Records the mask of a forward pass whose output `y` was computed elsewhere (a batch norm that clamped its
    /// own output), as ``forward(_:training:)`` would have: 0 < y < cap exactly where 0 < x < cap.
    func recordPasses(ofOutput y: Tensor) {
        let upper = cap ?? .infinity, count = y.count
        shape = y.shape
        passes = []  // the previous pass's mask goes before the new one is allocated
        guard GradientRecording.isEnabled else { return }
        var mask = [UInt8](repeating: 0, count: (count + 7) / 8)
        y.data.withUnsafeBufferPointer { ys in
            mask.withUnsafeMutableBufferPointer { ms in
                guard let s = ys.baseAddress, let m = ms.baseAddress else { return }
                Self.forMaskBytes(count) { start, length, byte in ReLUKernels.mask(s + start, length, upper: upper, into: m + byte) }
            }
        }
        passes = mask
    }

    public func backward(_ gy: Tensor) -> Tensor {
        precondition(gy.shape == shape && passes.count == (gy.count + 7) / 8,
                     "ReLU.backward: gradient \(gy.shape) without a recorded forward pass of that shape (\(shape))")
        let count = gy.count
        let data = passes.withUnsafeBufferPointer { ms in
            gy.data.withUnsafeBufferPointer { gs in
                [Scalar](unsafeUninitializedCapacity: count) { out, initialized in
                    if let m = ms.baseAddress, let g = gs.baseAddress, let o = out.baseAddress {
                        Self.forMaskBytes(count) { start, length, byte in ReLUKernels.backward(g + start, mask: m + byte, length, into: o + start) }
                    }
                    initialized = count
                }
            }
        }
        var gx = Tensor(shape: gy.shape, data: data)
        gx.layout = gy.layout
        return gx
    }
}

/// ReLU's passes over a run of elements that starts a mask byte: in C for float32 (vectorised for the CPU, see
/// relu.c), vector selects in Swift for the float64 build. The same values and bits either way.
enum ReLUKernels {
    static func forward(_ x: UnsafePointer<Scalar>, _ count: Int, upper: Scalar, into out: UnsafeMutablePointer<Scalar>,
                        mask: UnsafeMutablePointer<UInt8>?) {
        #if COHORT_DOUBLE
        let zero = SIMD8<Scalar>(repeating: 0), top = SIMD8<Scalar>(repeating: upper)
        let bits = SIMD8<Scalar.SIMDMaskScalar>(1, 2, 4, 8, 16, 32, 64, 128)
        var i = 0
        while i < count {
            if i + 8 <= count {
                let v = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Scalar>.self)
                // Selects, not pointwise min/max, which would turn NaN into 0: NaN goes on to the loss.
                let clamped = v.replacing(with: zero, where: v .< zero).replacing(with: top, where: v .> top)
                UnsafeMutableRawPointer(out + i).storeBytes(of: clamped, as: SIMD8<Scalar>.self)
                let keep = (v .> zero) .& (v .< top)
                mask?[i / 8] = UInt8(truncatingIfNeeded: SIMD8<Scalar.SIMDMaskScalar>(repeating: 0).replacing(with: bits, where: keep).wrappedSum())
            } else {
                var last: UInt8 = 0
                for j in i..<count {
                    out[j] = x[j] < 0 ? 0 : (x[j] > upper ? upper : x[j])
                    if x[j] > 0 && x[j] < upper { last |= UInt8(1 << (j - i)) }
                }
                mask?[i / 8] = last
            }
            i += 8
        }
        #else
        ccohort_relu_forward(x, count, upper, out, mask)
        #endif
    }

    static func mask(_ y: UnsafePointer<Scalar>, _ count: Int, upper: Scalar, into mask: UnsafeMutablePointer<UInt8>) {
        #if COHORT_DOUBLE
        for group in 0..<((count + 7) / 8) {
            var bits: UInt8 = 0
            for j in (group * 8)..<min(count, group * 8 + 8) where y[j] > 0 && y[j] < upper { bits |= UInt8(1 << (j - group * 8)) }
            mask[group] = bits
        }
        #else
        ccohort_relu_mask(y, count, upper, mask)
        #endif
    }

    static func backward(_ g: UnsafePointer<Scalar>, mask: UnsafePointer<UInt8>, _ count: Int, into out: UnsafeMutablePointer<Scalar>) {
        #if COHORT_DOUBLE
        for j in 0..<count { out[j] = (mask[j / 8] >> (j % 8)) & 1 != 0 ? g[j] : 0 }
        #else
        ccohort_relu_backward(g, mask, count, out)
        #endif
    }
}
