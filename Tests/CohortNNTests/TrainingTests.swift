import CohortNN
import CohortTensor
import Foundation
import XCTest

final class TrainingTests: XCTestCase {
    /// Every optimizer drives a quadratic bowl to its minimum.
    func testOptimizersConvergeOnAQuadratic() {
        let target: [Float] = [0.5, -1.5, 2, 0]
        func run(_ makeStep: (Parameter) -> () -> Void, steps: Int) -> Float {
            let p = Parameter(Tensor(shape: [4]), role: .bias)
            let step = makeStep(p)
            for _ in 0..<steps {
                for i in 0..<4 { p.gradient.data[i] = 2 * (p.value.data[i] - target[i]) }
                step()
            }
            return zip(p.value.data, target).map { abs($0 - $1) }.max()!
        }
        XCTAssertLessThan(run({ p in let o = Adam(parameters: [p], learningRate: 0.05); return o.update }, steps: 600), 1e-3)
        XCTAssertLessThan(run({ p in let o = Adam(parameters: [p], learningRate: 0.05, weightDecay: 1e-4, decoupled: true); return o.update }, steps: 600), 1e-2)
        XCTAssertLessThan(run({ p in let o = SGD(parameters: [p], learningRate: 0.1); return o.update }, steps: 200), 1e-4)
        XCTAssertLessThan(run({ p in let o = AdaptiveRateSGD(parameters: [p], initialRate: 0.1, alpha: 0.01, gamma: 1); return o.update }, steps: 300), 1e-3)
        XCTAssertLessThan(run({ p in let o = SGD(parameters: [p], learningRate: 0.05, momentum: 0.9); return o.update }, steps: 300), 1e-4)
        XCTAssertLessThan(run({ p in let o = SGD(parameters: [p], learningRate: 0.05, momentum: 0.9, nesterov: true); return o.update }, steps: 300), 1e-4)
    }

    func testAdamMatchesTheScalarFormulaToTheLastBit() {
        // The update runs in a C kernel; the formula of torch.optim.Adam, written out here in Swift, is the oracle.
        let initial: [Float] = (0..<37).map { Float($0 % 11) * 0.41 - 2.1 }
        let p = Parameter(Tensor(shape: [37], data: initial), role: .bias)
        let adam = Adam(parameters: [p], learningRate: 0.01)
        var (value, m, v) = (initial, [Float](repeating: 0, count: 37), [Float](repeating: 0, count: 37))
        let (beta1, beta2, eps, rate): (Float, Float, Float, Float) = (0.9, 0.999, 1e-8, 0.01)
        for step in 1...40 {
            let gradients = (0..<37).map { Float(($0 * 7 + step * 3) % 13) * 0.23 - 1.4 }
            for i in 0..<37 { p.gradient.data[i] = gradients[i] }
            adam.update()
            let c1 = 1 - pow(beta1, Float(step)), c2 = 1 - pow(beta2, Float(step))
            for i in 0..<37 {
                m[i] = beta1 * m[i] + (1 - beta1) * gradients[i]
                v[i] = beta2 * v[i] + (1 - beta2) * gradients[i] * gradients[i]
                value[i] -= rate * (m[i] / c1) / ((v[i] / c2).squareRoot() + eps)
            }
            XCTAssertEqual(p.value.data.map(\.bitPattern), value.map(\.bitPattern), "values, step \(step)")
            XCTAssertEqual(adam.m[0].map(\.bitPattern), m.map(\.bitPattern), "first moments, step \(step)")
            XCTAssertEqual(adam.v[0].map(\.bitPattern), v.map(\.bitPattern), "second moments, step \(step)")
        }
    }

    /// A bright square on the left (class 1) or right (class 0) of a noisy 16x16 image.
    private func batch(_ count: Int, seed: UInt64) -> (Tensor, [Int]) {
        var state = seed
        func uniform() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 11) * 0x1p-53)
        }
        var x = Tensor(shape: [count, 1, 16, 16])
        var labels: [Int] = []
        for n in 0..<count {
            let label = uniform() < 0.5 ? 0 : 1
            labels.append(label)
            let left = label == 1 ? 1 : 9, top = 2 + Int(uniform() * 9)
            for i in 0..<256 { x.data[n * 256 + i] = 0.3 * uniform() }
            for y in top..<(top + 5) { for c in left..<(left + 5) { x.data[n * 256 + y * 16 + c] += 0.8 } }
        }
        return (x, labels)
    }

    func testSimpleCNNLearnsASyntheticTwoClassTaskInSeconds() {
        let model = PaperModels.simpleCNN(channels: 1, height: 16, width: 16, classes: 2)
        var generator = UInt64(7)
        for p in model.state.map(\.parameter) {
            guard case .weight(let fanIn) = p.role else { continue }
            let bound = Float(1 / Double(fanIn).squareRoot())
            for i in p.value.data.indices {
                generator = generator &* 6364136223846793005 &+ 1442695040888963407
                p.value.data[i] = (Float(Double(generator >> 11) * 0x1p-53) * 2 - 1) * bound
            }
        }
        let adam = Adam(parameters: model.parameters, learningRate: 2e-3)
        for step in 0..<60 {
            let (x, labels) = batch(16, seed: UInt64(step + 1))
            let loss = softmaxCrossEntropy(model.forward(x, training: true), labels: labels)
            model.zeroGradients()
            _ = model.backward(loss.gradient)
            adam.update()
        }
        let (test, labels) = batch(200, seed: 999)
        let logits = model.forward(test, training: false)
        let correct = labels.indices.filter { (logits.data[2 * $0 + 1] > logits.data[2 * $0] ? 1 : 0) == labels[$0] }.count
        XCTAssertGreaterThan(Double(correct) / 200, 0.95, "held-out accuracy")
    }
}
