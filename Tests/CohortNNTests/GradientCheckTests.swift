import CohortNN
import CohortTensor
import Foundation
import XCTest

/// Finite-difference checks: for L = sum(output * r) with fixed random r, central differences of L with respect
/// to inputs and parameters agree with the analytic gradients.
final class GradientCheckTests: XCTestCase {
    private var state: UInt64 = 12345
    private func random() -> Float {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Double(state >> 11) * 0x1p-53 * 2 - 1)
    }
    private func randomTensor(_ shape: [Int]) -> Tensor { Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in random() }) }

    /// `distinct`: inputs 0.1 apart (in random order), so finite steps never swap a maximum (pooling has kinks).
    /// `step`: the finite-difference step; smaller where ReLUs after BatchNorm sit close to their kink.
    private func check(_ layer: Module, input shape: [Int], training: Bool = true, distinct: Bool = false, tolerance: Float = 2e-2,
                       step h: Float = 1e-2, file: StaticString = #filePath, line: UInt = #line) {
        // Random weights: all-zero convolutions before BatchNorm would normalise constant channels.
        for (_, p) in layer.state {
            switch p.role {
            case .weight(let fanIn): for i in p.value.data.indices { p.value.data[i] = random() * 2 / Float(fanIn).squareRoot() }
            case .bias, .normBias: for i in p.value.data.indices { p.value.data[i] = 0.1 * random() }
            case .normWeight: for i in p.value.data.indices { p.value.data[i] = 1 + 0.2 * random() }
            default: break
            }
        }
        var x = randomTensor(shape)
        if distinct {
            let order = x.data.indices.sorted { x.data[$0] < x.data[$1] }
            for (rank, i) in order.enumerated() { x.data[i] = Float(rank) * 0.1 - 2 }
        }
        let y = layer.forward(x, training: training)
        let r = randomTensor(y.shape)
        func objective(_ input: Tensor) -> Double {
            let out = layer.forward(input, training: training)
            return zip(out.data, r.data).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        _ = layer.forward(x, training: training)
        layer.zeroGradients()
        let gx = layer.backward(r)
        func compare(_ analytic: Float, _ numeric: Double, _ what: String) {
            let error = abs(Double(analytic) - numeric) / max(1, abs(numeric))
            XCTAssertLessThan(error, Double(tolerance), "\(what): analytic \(analytic) vs numeric \(numeric)", file: file, line: line)
        }
        // Central differences at steps h and h/2; where they disagree a ReLU kink lies within the step and the
        // coordinate is skipped (counted, and at most a third may be skipped).
        var skipped = 0, compared = 0
        func numeric(_ f: (Float) -> Double) -> Double? {
            let wide = (f(h) - f(-h)) / Double(2 * h), narrow = (f(h / 2) - f(-h / 2)) / Double(h)
            return abs(wide - narrow) > Double(tolerance) * max(1, abs(narrow)) ? nil : narrow
        }
        for i in stride(from: 0, to: x.count, by: max(1, x.count / 25)) {
            guard let n = numeric({ d in var moved = x; moved.data[i] += d; return objective(moved) }) else { skipped += 1; continue }
            compared += 1
            compare(gx.data[i], n, "d/dinput[\(i)]")
        }
        for (name, p) in layer.state where p.isTrainable {
            let analytic = p.gradient
            for i in stride(from: 0, to: p.value.count, by: max(1, p.value.count / 10)) {
                let original = p.value.data[i]
                let n = numeric { d in p.value.data[i] = original + d; defer { p.value.data[i] = original }; return objective(x) }
                guard let n else { skipped += 1; continue }
                compared += 1
                compare(analytic.data[i], n, "d/d\(name)[\(i)]")
            }
        }
        XCTAssertLessThanOrEqual(skipped * 2, compared, "too many coordinates near a kink (\(skipped) skipped)", file: file, line: line)
    }

    func testConvolutionGradients() {
        check(Conv2d(3, 4, kernel: 3, padding: 1), input: [2, 3, 6, 5])
        check(Conv2d(4, 6, kernel: 3, stride: 2, padding: 1, groups: 2), input: [1, 4, 7, 7])
        check(Conv2d(3, 3, kernel: 3, padding: 2, dilation: 2, groups: 3, bias: false), input: [2, 3, 6, 6])
        check(Conv2d(2, 3, kernel: 1), input: [2, 2, 4, 4])
    }

    func testLinearBatchNormAndPoolingGradients() {
        check(Linear(7, 5), input: [3, 7])
        check(BatchNorm2d(3), input: [4, 3, 3, 3], training: true)
        check(BatchNorm2d(3), input: [2, 3, 4, 4], training: false)
        check(MaxPool2d(2), input: [2, 2, 6, 6], distinct: true)
        check(MaxPool2d(3, stride: 2), input: [1, 2, 7, 7], distinct: true)
        check(Flatten(), input: [2, 3, 2, 2])
        check(MaxPool2d(3, stride: 2, padding: 1), input: [1, 2, 6, 6], distinct: true)
        check(AvgPool2d(2), input: [2, 2, 6, 6])
        check(GlobalAveragePool(), input: [2, 3, 4, 5])
        check(AdaptiveAvgPool2d(3, 2), input: [1, 2, 7, 5])
        check(ConvTranspose2d(3, 2, kernel: 2, stride: 2), input: [2, 3, 3, 3])
        check(Upsample(scale: 2), input: [1, 2, 3, 3])
        check(Upsample(scale: 2, mode: .bilinear), input: [1, 2, 3, 4])
        check(ConvTranspose2d(2, 3, kernel: 3, stride: 2, padding: 1), input: [1, 2, 4, 4])
    }

    func testResidualBlockGradients() {
        checkAlongARandomDirection(ResidualBlock.basic(4, 4, stride: 1), input: [2, 4, 5, 5])
        check(ResidualBlock.basic(3, 4, stride: 2), input: [2, 3, 6, 6], tolerance: 2e-2, step: 1e-3)
        check(ResidualBlock.bottleneck(4, 2, stride: 2), input: [2, 4, 6, 6], tolerance: 2e-2, step: 1e-3)
    }

    func testInvertedResidualGradients() {
        check(InvertedResidual(4, 5, stride: 1, expansion: 2), input: [2, 4, 5, 5], step: 1e-3)
        check(InvertedResidual(3, 5, stride: 2, expansion: 1), input: [2, 3, 6, 6], step: 1e-3)
        check(Sequential([MobileNetV2.convBNReLU6(4, 8, kernel: 1), MobileNetV2.convBNReLU6(8, 8, kernel: 3, groups: 8)]), input: [2, 4, 5, 5], step: 1e-3)
    }

    /// The residual variant, checked along a random direction (coordinate-wise steps in this train-mode block land
    /// on ill-conditioned BatchNorm channels of a 50-value batch).
    func testInvertedResidualShortcutAddsTheOutputGradient() {
        let block = InvertedResidual(4, 4, stride: 1, expansion: 2)
        let x = randomTensor([2, 4, 5, 5]), g = randomTensor([2, 4, 5, 5])
        for (_, p) in block.state where p.isTrainable { for i in p.value.data.indices { p.value.data[i] += 0.3 * random() } }
        let y = block.forward(x, training: true)
        let gx = block.backward(g)
        // Finite differences along a random direction d: <gx, d> = d/dt <g, y(x + t d)>.
        let d = randomTensor(x.shape)
        func objective(_ t: Float) -> Double {
            var moved = x
            for i in moved.data.indices { moved.data[i] += t * d.data[i] }
            return zip(block.forward(moved, training: true).data, g.data).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let numeric = (objective(1e-3) - objective(-1e-3)) / 2e-3
        let analytic = zip(gx.data, d.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(analytic, numeric, accuracy: 0.02 * max(1, abs(numeric)))
        XCTAssertEqual(y.shape, x.shape)
    }

    func testDenseBlockGradientsAlongARandomDirection() {
        let y = checkAlongARandomDirection(DenseBlock(layers: 2, input: 3, growth: 2, bottleneck: 2), input: [2, 3, 4, 4], training: false)
        XCTAssertEqual(y.shape, [2, 7, 4, 4], "input channels plus two layers of growth 2")
    }

    /// The directional derivative of sum(output * g) along a random input direction, against the analytic
    /// gradient's projection (robust where single coordinates sit next to a ReLU kink).
    /// Returns the layer's output.
    @discardableResult
    private func checkAlongARandomDirection(_ layer: Module, input shape: [Int], training: Bool = true,
                                            file: StaticString = #filePath, line: UInt = #line) -> Tensor {
        for (_, p) in layer.state where p.isTrainable { for i in p.value.data.indices { p.value.data[i] = 0.5 * random() + (p.role == .normWeight ? 1 : 0) } }
        let x = randomTensor(shape)
        let y = layer.forward(x, training: training)
        let g = randomTensor(y.shape), d = randomTensor(shape)
        let gx = layer.backward(g)
        func objective(_ t: Float) -> Double {
            var moved = x
            for i in moved.data.indices { moved.data[i] += t * d.data[i] }
            return zip(layer.forward(moved, training: training).data, g.data).reduce(0) { $0 + Double($1.0) * Double($1.1) }
        }
        let numeric = (objective(1e-3) - objective(-1e-3)) / 2e-3
        let analytic = zip(gx.data, d.data).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        XCTAssertEqual(analytic, numeric, accuracy: 0.02 * max(1, abs(numeric)), file: file, line: line)
        return y
    }

    func testActivationGradients() {
        check(ReLU(), input: [3, 10])
        check(ReLU(cap: 0.5), input: [3, 10])
        check(Dropout(0.3, seed: 4), input: [4, 8], training: false)
    }

    func testLossGradientsAgreeWithFiniteDifferences() {
        let logits = randomTensor([4, 3])
        for (weights, smoothing) in [(nil, Float(0)), ([1, 2, 0.5] as [Float]?, Float(0)), (nil, Float(0.1))] {
            let labels = [0, 2, 1, 2]
            let result = softmaxCrossEntropy(logits, labels: labels, classWeights: weights, labelSmoothing: smoothing)
            for i in logits.data.indices {
                var plus = logits, minus = logits
                plus.data[i] += 1e-3
                minus.data[i] -= 1e-3
                let numeric = (softmaxCrossEntropy(plus, labels: labels, classWeights: weights, labelSmoothing: smoothing).value
                    - softmaxCrossEntropy(minus, labels: labels, classWeights: weights, labelSmoothing: smoothing).value) / 2e-3
                XCTAssertEqual(Double(result.gradient.data[i]), numeric, accuracy: 1e-3)
            }
        }
        let binary = randomTensor([5, 1]), targets: [Float] = [1, 0, 1, 1, 0]
        let bce = binaryCrossEntropyWithLogits(binary, targets: targets, positiveWeight: 2)
        for i in binary.data.indices {
            var plus = binary, minus = binary
            plus.data[i] += 1e-3
            minus.data[i] -= 1e-3
            let numeric = (binaryCrossEntropyWithLogits(plus, targets: targets, positiveWeight: 2).value
                - binaryCrossEntropyWithLogits(minus, targets: targets, positiveWeight: 2).value) / 2e-3
            XCTAssertEqual(Double(bce.gradient.data[i]), numeric, accuracy: 1e-3)
        }
    }

    func testAdaptivePoolingUsesPyTorchsBins() {
        // torch: F.adaptive_avg_pool2d(arange(5.).view(1, 1, 1, 5), (1, 3)) -> [0.5, 2.0, 3.5] (bins 0-1, 1-3, 3-4).
        let out = AdaptiveAvgPool2d(1, 3).forward(Tensor(shape: [1, 1, 1, 5], data: [0, 1, 2, 3, 4]), training: false)
        XCTAssertEqual(out.data, [0.5, 2, 3.5])
    }

    func testBilinearUpsamplingMatchesPyTorchsConvention() {
        // torch: F.interpolate(tensor([[[[0., 1.]]]]), scale_factor=2, mode="bilinear", align_corners=False)
        // gives rows of [0, 0.25, 0.75, 1].
        let out = Upsample(scale: 2, mode: .bilinear).forward(Tensor(shape: [1, 1, 1, 2], data: [0, 1]), training: false)
        XCTAssertEqual(Array(out.data.prefix(4)), [0, 0.25, 0.75, 1])
    }

    func testCrossEntropyMatchesHandComputedValues() {
        // Uniform logits over 4 classes: loss ln 4 whatever the label; logits (0, ln 3) for label 1: ln(4/3).
        XCTAssertEqual(softmaxCrossEntropy(Tensor(shape: [1, 4]), labels: [2]).value, log(4), accuracy: 1e-6)
        XCTAssertEqual(softmaxCrossEntropy(Tensor(shape: [1, 2], data: [0, Float(log(3.0))]), labels: [1]).value, log(4.0 / 3), accuracy: 1e-6)
        XCTAssertEqual(binaryCrossEntropyWithLogits(Tensor(shape: [1]), targets: [1]).value, log(2), accuracy: 1e-9)
    }
}
