import CohortTensor
import Foundation

/// Adam (Kingma & Ba 2015) as torch.optim.Adam, with optional L2 `weightDecay` added to the gradient, or
/// AdamW's decoupled decay (Loshchilov & Hutter 2019) with `decoupled`.
public final class Adam {
    public var learningRate: Float
    public let beta1: Float, beta2: Float, eps: Float, weightDecay: Float, decoupled: Bool
    public let parameters: [Parameter]
    /// First and second moment estimates per parameter (saved with resumable checkpoints).
    public var m: [[Float]], v: [[Float]]
    /// Updates done so far.
    public var step = 0

    public init(parameters: [Parameter], learningRate: Float = 1e-3, beta1: Float = 0.9, beta2: Float = 0.999, eps: Float = 1e-8,
                weightDecay: Float = 0, decoupled: Bool = false) {
        self.parameters = parameters
        (self.learningRate, self.beta1, self.beta2, self.eps, self.weightDecay, self.decoupled) =
            (learningRate, beta1, beta2, eps, weightDecay, decoupled)
        m = parameters.map { [Float](repeating: 0, count: $0.value.count) }
        v = m
    }

    /// One update of every parameter from its accumulated gradient.
    public func update() {
        step += 1
        let correction1 = 1 - pow(beta1, Float(step)), correction2 = 1 - pow(beta2, Float(step))
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
    public var learningRate: Float
    public let momentum: Float, nesterov: Bool, weightDecay: Float
    public let parameters: [Parameter]
    /// Momentum buffers per parameter (saved with resumable checkpoints).
    public var velocity: [[Float]]
    public var started = false

    public init(parameters: [Parameter], learningRate: Float, momentum: Float = 0, nesterov: Bool = false, weightDecay: Float = 0) {
        self.parameters = parameters
        (self.learningRate, self.momentum, self.nesterov, self.weightDecay) = (learningRate, momentum, nesterov, weightDecay)
        velocity = parameters.map { [Float](repeating: 0, count: $0.value.count) }
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
