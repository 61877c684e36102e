#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
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

    /// Bit k of a byte, for the k-th lane of eight (in the integer type of a comparison's lanes).
    private typealias Lanes = SIMD8<Scalar.SIMDMaskScalar>
    private static let laneBits = Lanes(1, 2, 4, 8, 16, 32, 64, 128)
    /// For each mask byte, the eight lanes as all-ones or all-zeros bit patterns: the backward pass ANDs the
    /// gradient with them (a table lookup; building a vector mask from the bits lane by lane was a quarter of a
    /// MobileNetV2 step).
    private static let laneMasks: [Lanes] = (0..<256).map { byte in
        Lanes((0..<8).map { byte & (1 << $0) != 0 ? ~0 : 0 })
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
                        // Ranges of whole bytes (groups of eight elements), so no two threads write one mask byte.
                        ComputeThreads.forRanges((count + 7) / 8, minimumChunk: 1 << 12) { groups in
                            let zero = SIMD8<Scalar>(repeating: 0), top = SIMD8<Scalar>(repeating: upper)
                            for group in groups {
                                let i = group * 8
                                if i + 8 <= count {
                                    let v = UnsafeRawPointer(s + i).loadUnaligned(as: SIMD8<Scalar>.self)
                                    // Selects, not pointwise min/max, which would turn NaN into 0: NaN goes on to the loss.
                                    let clamped = v.replacing(with: zero, where: v .< zero).replacing(with: top, where: v .> top)
                                    UnsafeMutableRawPointer(o + i).storeBytes(of: clamped, as: SIMD8<Scalar>.self)
                                    if let m {
                                        let keep = (v .> zero) .& (v .< top)
                                        m[group] = UInt8(truncatingIfNeeded: Lanes(repeating: 0).replacing(with: Self.laneBits, where: keep).wrappedSum())
                                    }
                                } else {
                                    for j in i..<count {
                                        o[j] = min(max(s[j], 0), upper)
                                        if let m, s[j] > 0 && s[j] < upper { m[group] |= UInt8(1 << (j - i)) }
                                    }
                                }
                            }
                        }
                    }
                    initialized = count
                }
            }
        }
        passes = mask
        return Tensor(shape: x.shape, data: data)
    }

    public func backward(_ gy: Tensor) -> Tensor {
        precondition(gy.shape == shape && passes.count == (gy.count + 7) / 8,
                     "ReLU.backward: gradient \(gy.shape) without a recorded forward pass of that shape (\(shape))")
        let count = gy.count
        let data = passes.withUnsafeBufferPointer { ms in
            gy.data.withUnsafeBufferPointer { gs in
                Self.laneMasks.withUnsafeBufferPointer { table in
                    [Scalar](unsafeUninitializedCapacity: count) { out, initialized in
                        if let m = ms.baseAddress, let g = gs.baseAddress, let o = out.baseAddress, let t = table.baseAddress {
                            ComputeThreads.forRanges((count + 7) / 8, minimumChunk: 1 << 12) { groups in
                                for group in groups {
                                    let i = group * 8
                                    if i + 8 <= count {
                                        let gv = UnsafeRawPointer(g + i).loadUnaligned(as: Lanes.self)
                                        UnsafeMutableRawPointer(o + i).storeBytes(of: gv & t[Int(m[group])], as: Lanes.self)
                                    } else {
                                        for j in i..<count { o[j] = m[group] & (1 << (j - i)) != 0 ? g[j] : 0 }
                                    }
                                }
                            }
                        }
                        initialized = count
                    }
                }
            }
        }
        return Tensor(shape: gy.shape, data: data)
    }
}

/// `[N, ...] -> [N, product of the rest]` (torch.nn.Flatten).
public final class Flatten: Module {
    private var shape: [Int] = []
    public init() {}
    public var state: [(name: String, parameter: Parameter)] { [] }
    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        shape = x.shape
        return x.reshaped([x.shape[0], x.count / max(x.shape[0], 1)])
    }
    public func backward(_ gy: Tensor) -> Tensor { gy.reshaped(shape) }
}

/// Inverted dropout with probability `p` in training (identity at inference), drawn from a seeded generator.
public final class Dropout: Module {
    public let p: Scalar
    private var generator: SplitMixRandom
    private var mask: [Scalar] = []

    public init(_ p: Scalar, seed: UInt64 = 0) {
        precondition(p >= 0 && p < 1, "Dropout: p must be in [0, 1), got \(p)")
        self.p = p
        generator = SplitMixRandom(seed: seed)
    }

    public var state: [(name: String, parameter: Parameter)] { [] }

    /// Restarts the mask generator (the trainer does this per epoch for exact resumes).
    public func reseed(_ seed: UInt64) { generator = SplitMixRandom(seed: seed) }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        guard training, p > 0 else { mask = []; return x }
        let scale = 1 / (1 - p)
        mask = x.data.map { _ in generator.nextUnit() < Double(p) ? 0 : scale }
        var out = x
        for i in out.data.indices { out.data[i] *= mask[i] }
        return out
    }

    public func backward(_ gy: Tensor) -> Tensor {
        guard !mask.isEmpty else { return gy }
        var gx = gy
        for i in gx.data.indices { gx.data[i] *= mask[i] }
        return gx
    }
}

/// SplitMix64 for dropout masks (the engine knows nothing of CohortCore's generator; same algorithm).
struct SplitMixRandom {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func nextUnit() -> Double { Double(next() >> 11) * 0x1p-53 }
}
