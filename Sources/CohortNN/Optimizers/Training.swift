#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif
import Foundation

/// Learning-rate schedules: the rate for epoch `epoch` (0-based) from the base rate.
public enum Schedule: Sendable, Equatable {
    /// Multiply by `gamma` every `stepSize` epochs (torch's StepLR, e.g. 7 and 0.1).
    case step(stepSize: Int, gamma: Double)
    /// Cosine annealing from the base rate to `minimum` over `epochs` (Loshchilov & Hutter 2017, no restarts).
    case cosine(epochs: Int, minimum: Double)
    /// Linear warm-up from base/warmupEpochs over `warmupEpochs`, then `then`.
    indirect case warmup(epochs: Int, then: Schedule)
    case constant

    public func rate(epoch: Int, base: Double) -> Double {
        switch self {
        case .constant: return base
        case let .step(size, gamma): return base * pow(gamma, Double(epoch / max(size, 1)))
        case let .cosine(epochs, minimum):
            let t = Double(min(epoch, epochs)) / Double(max(epochs, 1))
            return minimum + (base - minimum) * (1 + cos(Double.pi * t)) / 2
        case let .warmup(epochs, then):
            return epoch < epochs ? base * Double(epoch + 1) / Double(epochs) : then.rate(epoch: epoch - epochs, base: base)
        }
    }
}

/// Reduce-on-plateau: multiply the rate by `factor` when the monitored value has not improved by `threshold`
/// for `patience` epochs (torch's ReduceLROnPlateau in "min" mode with relative threshold).
public struct PlateauReducer: Sendable {
    public var factor: Double, patience: Int, threshold: Double, minimum: Double
    private var best = Double.infinity, badEpochs = 0

    public init(factor: Double = 0.1, patience: Int = 10, threshold: Double = 1e-4, minimum: Double = 0) {
        (self.factor, self.patience, self.threshold, self.minimum) = (factor, patience, threshold, minimum)
    }

    /// The rate to use after an epoch that ended with `value` at rate `rate`.
    public mutating func step(value: Double, rate: Double) -> Double {
        if value < best * (1 - threshold) {
            best = value
            badEpochs = 0
            return rate
        }
        badEpochs += 1
        guard badEpochs > patience else { return rate }
        badEpochs = 0
        return max(rate * factor, minimum)
    }
}

/// Gradient utilities applied between backward and the optimizer step.
public enum Gradients {
    /// Scales all gradients so that their joint L2 norm is at most `maxNorm` (torch's clip_grad_norm_); returns
    /// the norm before clipping.
    @discardableResult
    public static func clip(_ parameters: [Parameter], maxNorm: Double) -> Double {
        let norm = parameters.reduce(0.0) { $0 + $1.gradient.data.reduce(0) { $0 + Double($1) * Double($1) } }.squareRoot()
        if norm > maxNorm {
            let scale = Scalar(maxNorm / (norm + 1e-6))
            for p in parameters { for i in p.gradient.data.indices { p.gradient.data[i] *= scale } }
        }
        return norm
    }

    /// Adds the L2 penalty `factor * sum(w^2)` of `parameters` to the loss: returns the penalty and adds
    /// `2 * factor * w` to their gradients (Keras' `kernel_regularizer=l2(factor)`).
    @discardableResult
    public static func addL2Penalty(_ parameters: [Parameter], factor: Double) -> Double {
        var penalty = 0.0
        for p in parameters {
            for i in p.value.data.indices {
                penalty += factor * Double(p.value.data[i]) * Double(p.value.data[i])
                p.gradient.data[i] += Scalar(2 * factor) * p.value.data[i]
            }
        }
        return penalty
    }
}

/// The learning-rate adaptation rule of the seed paper, per update and per parameter element:
/// `beta_t = beta_{t-1} + alpha * sign(g_{t-1})`, `eta_t = eta_0 * exp(-gamma * beta_t)`,
/// `theta <- theta - eta_t * g_t`.
public final class AdaptiveRateSGD {
    public let initialRate: Double, alpha: Double, gamma: Double
    public let parameters: [Parameter]
    private var beta: [[Double]], previousSign: [[Scalar]]

    public init(parameters: [Parameter], initialRate: Double, alpha: Double, gamma: Double) {
        (self.parameters, self.initialRate, self.alpha, self.gamma) = (parameters, initialRate, alpha, gamma)
        beta = parameters.map { [Double](repeating: 0, count: $0.value.count) }
        previousSign = parameters.map { [Scalar](repeating: 0, count: $0.value.count) }
    }

    public func update() {
        for (k, p) in parameters.enumerated() {
            for i in p.value.data.indices {
                beta[k][i] += alpha * Double(previousSign[k][i])
                let rate = initialRate * exp(-gamma * beta[k][i])
                let g = p.gradient.data[i]
                p.value.data[i] -= Scalar(rate) * g
                previousSign[k][i] = g > 0 ? 1 : g < 0 ? -1 : 0
            }
        }
    }

    /// The current rate of element `i` of parameter `k` (for tests and logs).
    public func rate(parameter k: Int, element i: Int) -> Double { initialRate * exp(-gamma * beta[k][i]) }
}
