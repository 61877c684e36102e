#if COHORT_DOUBLE
import CohortTensor64
#else
import CohortTensor
#endif
import Foundation

/// Adam (Kingma & Ba 2015) as torch.optim.Adam, with optional L2 `weightDecay` added to the gradient, or
/// AdamW's decoupled decay (Loshchilov & Hutter 2019) with `decoupled`.
public final class Adam {
    public var learningRate: Scalar
    public let beta1: Scalar, beta2: Scalar, eps: Scalar, weightDecay: Scalar, decoupled: Bool
    public let parameters: [Parameter]
    /// First and second moment estimates per parameter (saved with resumable checkpoints).
    public var m: [[Scalar]], v: [[Scalar]]
    /// Updates done so far.
    public var step = 0

    public init(parameters: [Parameter], learningRate: Scalar = 1e-3, beta1: Scalar = 0.9, beta2: Scalar = 0.999, eps: Scalar = 1e-8,
                weightDecay: Scalar = 0, decoupled: Bool = false) {
        self.parameters = parameters
        (self.learningRate, self.beta1, self.beta2, self.eps, self.weightDecay, self.decoupled) =
            (learningRate, beta1, beta2, eps, weightDecay, decoupled)
        m = parameters.map { [Scalar](repeating: 0, count: $0.value.count) }
        v = m
    }

    /// One update of every parameter from its accumulated gradient.
    public func update() {
        step += 1
        let correction1 = 1 - pow(beta1, Scalar(step)), correction2 = 1 - pow(beta2, Scalar(step))
        for (k, p) in parameters.enumerated() {
            for i in p.value.data.indices {
                var g = p.gradient.data[i]
                if weightDecay != 0 && !decoupled { g += weightDecay * p.value.data[i] }
                if weightDecay != 0 && decoupled { p.value.data[i] -= learningRate * weightDecay * p.value.data[i] }
                m[k][i] = beta1 * m[k][i] + (1 - beta1) * g
                v[k][i] = beta2 * v[k][i] + (1 - beta2) * g * g
                let denominator = (v[k][i] / correction2).squareRoot() + eps
                p.value.data[i] -= learningRate * (m[k][i] / correction1) / denominator
            }
        }
    }
}

/// Stochastic gradient descent with momentum and Nesterov's variant, as torch.optim.SGD.
public final class SGD {
    public var learningRate: Scalar
    public let momentum: Scalar, nesterov: Bool, weightDecay: Scalar
    public let parameters: [Parameter]
    /// Momentum buffers per parameter (saved with resumable checkpoints).
    public var velocity: [[Scalar]]
    public var started = false

    public init(parameters: [Parameter], learningRate: Scalar, momentum: Scalar = 0, nesterov: Bool = false, weightDecay: Scalar = 0) {
        self.parameters = parameters
        (self.learningRate, self.momentum, self.nesterov, self.weightDecay) = (learningRate, momentum, nesterov, weightDecay)
        velocity = parameters.map { [Scalar](repeating: 0, count: $0.value.count) }
    }

    public func update() {
        for (k, p) in parameters.enumerated() {
            for i in p.value.data.indices {
                var g = p.gradient.data[i] + weightDecay * p.value.data[i]
                if momentum != 0 {
                    velocity[k][i] = started ? momentum * velocity[k][i] + g : g
                    g = nesterov ? g + momentum * velocity[k][i] : velocity[k][i]
                }
                p.value.data[i] -= learningRate * g
            }
        }
        started = true
    }
}
