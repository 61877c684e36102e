#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif
import Foundation

/// Seeded initial weights: PyTorch's default for convolutions and linear layers (Kaiming uniform with
/// a = sqrt(5), i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases), BatchNorm at 1 and 0.
public enum WeightInitialization {
    public static func kaimingUniform(_ model: Module, seed: UInt64) {
        var generator = SplitMixRandom(seed: seed)
        var fanIn = 1
        for entry in model.state {
            let p = entry.parameter
            switch p.role {
            case .weight(let f):
                fanIn = f
                let bound = Scalar(1 / Double(f).squareRoot())
                for i in p.value.data.indices { p.value.data[i] = Scalar(generator.nextUnit() * 2 - 1) * bound }
            case .bias:
                let bound = Scalar(1 / Double(fanIn).squareRoot())
                for i in p.value.data.indices { p.value.data[i] = Scalar(generator.nextUnit() * 2 - 1) * bound }
            case .normWeight, .runningVariance: for i in p.value.data.indices { p.value.data[i] = 1 }
            case .normBias, .runningMean, .batchCount: for i in p.value.data.indices { p.value.data[i] = 0 }
            }
        }
    }
}

/// Dropout layers reached through `Sequential` containers (all of the zoo's).
public enum Dropouts {
    /// Reseeds every dropout so that an epoch's masks depend only on `seed` (exact resume).
    public static func reseed(_ module: Module, seed: UInt64) {
        var counter: UInt64 = 0
        visit(module) { dropout in
            counter += 1
            dropout.reseed(seed &+ counter &* 0x9E37_79B9_7F4A_7C15)
        }
    }

    static func visit(_ module: Module, _ body: (Dropout) -> Void) {
        if let dropout = module as? Dropout { body(dropout) }
        if let sequential = module as? Sequential { for child in sequential.children { visit(child.module, body) } }
    }
}
