import CohortNN
import CohortTensor
import Foundation
import XCTest

final class OptimizationTests: XCTestCase {
    func testSchedulesFollowTheirFormulas() {
        XCTAssertEqual(Schedule.step(stepSize: 7, gamma: 0.1).rate(epoch: 6, base: 1e-3), 1e-3)
        XCTAssertEqual(Schedule.step(stepSize: 7, gamma: 0.1).rate(epoch: 7, base: 1e-3), 1e-4, accuracy: 1e-12)
        XCTAssertEqual(Schedule.step(stepSize: 7, gamma: 0.1).rate(epoch: 14, base: 1e-3), 1e-5, accuracy: 1e-12)
        XCTAssertEqual(Schedule.cosine(epochs: 10, minimum: 0).rate(epoch: 5, base: 2), 1, accuracy: 1e-12)
        XCTAssertEqual(Schedule.cosine(epochs: 10, minimum: 0.1).rate(epoch: 10, base: 2), 0.1, accuracy: 1e-12)
        let warm = Schedule.warmup(epochs: 4, then: .constant)
        XCTAssertEqual((0..<6).map { warm.rate(epoch: $0, base: 1) }, [0.25, 0.5, 0.75, 1, 1, 1])
        var plateau = PlateauReducer(factor: 0.5, patience: 1)
        let rates = [1.0, 0.9, 0.95, 0.96, 0.97].reduce(into: [Double]()) { out, v in out.append(plateau.step(value: v, rate: out.last ?? 1)) }
        XCTAssertEqual(rates, [1, 1, 1, 0.5, 0.5])
    }

    func testClippingAndL2() {
        let p = Parameter(Tensor(shape: [2], data: [3, -1]), role: .weight(fanIn: 2))
        p.gradient = Tensor(shape: [2], data: [3, 4])
        XCTAssertEqual(Gradients.clip([p], maxNorm: 1), 5, accuracy: 1e-9)
        XCTAssertEqual(p.gradient.norm, 1, accuracy: 1e-5)
        p.zeroGradient()
        XCTAssertEqual(Gradients.addL2Penalty([p], factor: 0.1), 1.0, accuracy: 1e-6)
        XCTAssertEqual(p.gradient.data, [0.6, -0.2].map { Float($0) })
    }

    func testTheAdaptiveRateRuleShrinksTheRateWhileTheGradientKeepsItsSign() {
        let p = Parameter(Tensor(shape: [1], data: [5]), role: .bias)
        let optimizer = AdaptiveRateSGD(parameters: [p], initialRate: 0.1, alpha: 0.5, gamma: 1)
        var rates: [Double] = []
        for _ in 0..<4 {
            p.gradient.data[0] = 2 * (p.value.data[0] - 1)   // minimise (theta - 1)^2 from 5: gradient stays positive
            optimizer.update()
            rates.append(optimizer.rate(parameter: 0, element: 0))
        }
        // beta: 0 (no previous sign), 0.5, 1.0, 1.5 -> eta = 0.1 e^-beta
        XCTAssertEqual(rates.map { ($0 * 1e6).rounded() / 1e6 }, [0.1, 0.060653, 0.036788, 0.022313].map { ($0 * 1e6).rounded() / 1e6 })
        XCTAssertLessThan(p.value.data[0], 5)
    }

    func testActivationsMatchTheirDefinitionsAndDerivatives() {
        let x = Tensor(shape: [1, 5], data: [-2, -0.5, 0, 0.5, 2])
        for kind in [Activation.Kind.leakyReLU(slope: 0.1), .silu, .sigmoid] {
            let layer = Activation(kind)
            _ = layer.forward(x, training: true)
            let analytic = layer.backward(Tensor(shape: [1, 5], repeating: 1))
            for i in 0..<5 where x.data[i] != 0 {
                var plus = x, minus = x
                plus.data[i] += 1e-3
                minus.data[i] -= 1e-3
                let numeric = (layer.forward(plus, training: true).data[i] - layer.forward(minus, training: true).data[i]) / 2e-3
                XCTAssertEqual(analytic.data[i], numeric, accuracy: 1e-2, "\(kind) at \(x.data[i])")
            }
        }
        XCTAssertEqual(Activation(.silu).forward(Tensor(shape: [1], data: [1]), training: false).data[0], Float(1 / (1 + exp(-1.0))), accuracy: 1e-6)
        let p = softmax(Tensor(shape: [2, 3], data: [1, 2, 3, 0, 0, 0]))
        XCTAssertEqual(p.data[3], 1.0 / 3, accuracy: 1e-6)
        XCTAssertEqual(p.data[0] + p.data[1] + p.data[2], 1, accuracy: 1e-6)
    }
}
