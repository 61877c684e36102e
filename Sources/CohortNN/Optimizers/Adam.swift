#if !COHORT_DOUBLE
import CCohortKernels
#endif
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

    /// One update of every parameter from its accumulated gradient: one fused pass per parameter over value,
    /// gradient and both moments, split across ``ComputeThreads`` (element-wise, so the result does not depend on it).
    public func update() {
        step += 1
        let correction1 = 1 - pow(beta1, Scalar(step)), correction2 = 1 - pow(beta2, Scalar(step))
        let (beta1, beta2, eps, rate, decay, decoupled) = (self.beta1, self.beta2, self.eps, learningRate, weightDecay, self.decoupled)
        for (k, p) in parameters.enumerated() {
            p.value.data.withUnsafeMutableBufferPointer { values in
                p.gradient.data.withUnsafeBufferPointer { gradients in
                    m[k].withUnsafeMutableBufferPointer { ms in
                        v[k].withUnsafeMutableBufferPointer { vs in
                            guard values.count > 0 else { return }
                            let (value, gradient, m, v) = (values.baseAddress!, gradients.baseAddress!, ms.baseAddress!, vs.baseAddress!)
                            ComputeThreads.forRanges(values.count) { range in
                                if decay == 0 {  // the common case
                                    #if COHORT_DOUBLE
                                    for i in range {
                                        let g = gradient[i]
                                        m[i] = beta1 * m[i] + (1 - beta1) * g
                                        v[i] = beta2 * v[i] + (1 - beta2) * g * g
                                        let denominator = (v[i] / correction2).squareRoot() + eps
                                        value[i] -= rate * (m[i] / correction1) / denominator
                                    }
                                    #else
                                    // In C: Swift's loop (and its SIMD types' per-lane square root) stayed scalar, a third
                                    // of a simple-cnn step, whose 51 M parameters make the update memory-bound. The same
                                    // operations in the same order, so the same values.
                                    let start = range.lowerBound
                                    ccohort_adam_update(value + start, gradient + start, m + start, v + start, range.count,
                                                        beta1, beta2, correction1, correction2, eps, rate)
                                    #endif
                                    return
                                }
                                for i in range {
                                    var g = gradient[i]
                                    if decay != 0 && !decoupled { g += decay * value[i] }
                                    if decay != 0 && decoupled { value[i] -= rate * decay * value[i] }
                                    m[i] = beta1 * m[i] + (1 - beta1) * g
                                    v[i] = beta2 * v[i] + (1 - beta2) * g * g
                                    let denominator = (v[i] / correction2).squareRoot() + eps
                                    value[i] -= rate * (m[i] / correction1) / denominator
                                }
                            }
                        }
                    }
                }
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
        let (rate, decay, momentum, nesterov, started) = (learningRate, weightDecay, self.momentum, self.nesterov, self.started)
        for (k, p) in parameters.enumerated() {
            p.value.data.withUnsafeMutableBufferPointer { values in
                p.gradient.data.withUnsafeBufferPointer { gradients in
                    velocity[k].withUnsafeMutableBufferPointer { velocities in
                        guard values.count > 0 else { return }
                        let (value, gradient, velocity) = (values.baseAddress!, gradients.baseAddress!, velocities.baseAddress!)
                        ComputeThreads.forRanges(values.count) { range in
                            for i in range {
                                var g = gradient[i] + decay * value[i]
                                if momentum != 0 {
                                    velocity[i] = started ? momentum * velocity[i] + g : g
                                    g = nesterov ? g + momentum * velocity[i] : velocity[i]
                                }
                                value[i] -= rate * g
                            }
                        }
                    }
                }
            }
        }
        self.started = true
    }
}
