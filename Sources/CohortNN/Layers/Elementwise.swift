#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

/// `max(0, x)` (and ReLU6 `min(max(0, x), 6)` with `cap`), any shape.
public final class ReLU: Module {
    public let cap: Scalar?
    private var input = Tensor(shape: [0])

    public init(cap: Scalar? = nil) { self.cap = cap }

    public var state: [(name: String, parameter: Parameter)] { [] }

    public func forward(_ x: Tensor, training: Bool) -> Tensor {
        input = GradientRecording.kept(x)
        let upper = cap ?? .infinity
        // One pass from the input into a new buffer (copying the input and clamping the copy read it twice).
        let data = x.data.withUnsafeBufferPointer { xs in
            [Scalar](unsafeUninitializedCapacity: xs.count) { out, initialized in
                if let s = xs.baseAddress, let o = out.baseAddress {
                    ComputeThreads.forRanges(xs.count) { range in for i in range { o[i] = min(max(s[i], 0), upper) } }
                }
                initialized = xs.count
            }
        }
        return Tensor(shape: x.shape, data: data)
    }

    public func backward(_ gy: Tensor) -> Tensor {
        let upper = cap ?? .infinity
        let data = input.data.withUnsafeBufferPointer { xs in
            gy.data.withUnsafeBufferPointer { gs in
                [Scalar](unsafeUninitializedCapacity: gs.count) { out, initialized in
                    if let x = xs.baseAddress, let g = gs.baseAddress, let o = out.baseAddress {
                        // Explicit vector selects: the scalar `x > 0 && x < upper ? g : 0` compiled to a branch that
                        // random signs mispredict (ReLU6 backward was a quarter of a MobileNetV2 step).
                        let capped = upper != .infinity
                        ComputeThreads.forRanges(gs.count) { range in
                            var i = range.lowerBound
                            let zero = SIMD8<Scalar>(repeating: 0), top = SIMD8<Scalar>(repeating: upper)
                            while i + 8 <= range.upperBound {
                                let xv = UnsafeRawPointer(x + i).loadUnaligned(as: SIMD8<Scalar>.self)
                                let gv = UnsafeRawPointer(g + i).loadUnaligned(as: SIMD8<Scalar>.self)
                                let keep = capped ? (xv .> zero) .& (xv .< top) : xv .> zero
                                UnsafeMutableRawPointer(o + i).storeBytes(of: zero.replacing(with: gv, where: keep), as: SIMD8<Scalar>.self)
                                i += 8
                            }
                            while i < range.upperBound { o[i] = x[i] > 0 && (!capped || x[i] < upper) ? g[i] : 0; i += 1 }
                        }
                    }
                    initialized = gs.count
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
