#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif

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
