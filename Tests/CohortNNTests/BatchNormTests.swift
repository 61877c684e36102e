import XCTest
import CohortCore
@testable import CohortNN
import CohortTensor

final class BatchNormTests: XCTestCase {
    /// Batch statistics against a two-pass double-precision reference on channels that break naive formulas:
    /// values 1000 + 1e-3 u (E[x^2] - E[x]^2 in float gives noise or a negative variance), a first value that is an
    /// outlier far from the rest (the shift of the one-pass sums is that first value), and ordinary values.
    /// Momentum 1 makes the running estimates the batch's own mean and unbiased variance.
    func testBatchStatisticsSurviveCloseValuesAndOutliers() {
        var generator = SeededGenerator(seed: 12)
        let (n, c, h, w) = (2, 3, 5, 7), hw = h * w
        var x = Tensor(shape: [n, c, h, w])
        for b in 0..<n {
            for ch in 0..<c {
                for i in 0..<hw {
                    let u = Float(generator.nextUnit())
                    x.data[(b * c + ch) * hw + i] = switch ch {
                    case 0: 1000 + 1e-3 * u
                    case 1: b == 0 && i == 0 ? 5e4 : u - 0.5
                    default: 3 * u - 1
                    }
                }
            }
        }
        let norm = BatchNorm2d(c, momentum: 1)
        _ = norm.forward(x, training: true)
        for ch in 0..<c {
            let values = (0..<n).flatMap { b in (0..<hw).map { Double(x.data[(b * c + ch) * hw + $0]) } }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
            XCTAssertEqual(Double(norm.runningMean.value.data[ch]), mean, accuracy: abs(mean) * 1e-6 + 1e-6, "mean of channel \(ch)")
            XCTAssertEqual(Double(norm.runningVariance.value.data[ch]), variance, accuracy: variance * 1e-4, "variance of channel \(ch)")
        }
    }

    /// The input gradient and the weight and bias gradients of a training pass against the closed form in double
    /// precision, on a shape whose channels are split across threads, with the normalised values rebuilt from the
    /// kept input.
    func testTrainingGradientsFollowTheClosedForm() {
        var generator = SeededGenerator(seed: 3)
        let (n, c, hw) = (3, 6, 64 * 48)
        let x = Tensor(shape: [n, c, 64, 48], data: (0..<(n * c * hw)).map { _ in Float(generator.nextUnit() * 4 - 1) })
        let gy = Tensor(shape: x.shape, data: (0..<x.count).map { _ in Float(generator.nextUnit() - 0.5) })
        let norm = BatchNorm2d(c)
        for ch in 0..<c { norm.weight.value.data[ch] = Float(ch) * 0.3 + 0.5; norm.bias.value.data[ch] = Float(ch) - 2 }
        _ = norm.forward(x, training: true)
        let gx = norm.backward(gy)
        let m = Double(n * hw)
        for ch in 0..<c {
            let index = (0..<n).flatMap { b in (0..<hw).map { (b * c + ch) * hw + $0 } }
            let xs = index.map { Double(x.data[$0]) }, gs = index.map { Double(gy.data[$0]) }
            let mean = xs.reduce(0, +) / m
            let inv = 1 / ((xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / m) + Double(norm.eps)).squareRoot()
            let xhat = xs.map { ($0 - mean) * inv }
            let sumG = gs.reduce(0, +), sumGX = zip(gs, xhat).map(*).reduce(0, +)
            XCTAssertEqual(Double(norm.weight.gradient.data[ch]), sumGX, accuracy: 1e-4 * (abs(sumGX) + 1))
            XCTAssertEqual(Double(norm.bias.gradient.data[ch]), sumG, accuracy: 1e-4 * (abs(sumG) + 1))
            let gamma = Double(norm.weight.value.data[ch])
            for (k, i) in index.enumerated() where k % 97 == 0 {
                let expected = gamma * inv * (gs[k] - sumG / m - xhat[k] * sumGX / m)
                XCTAssertEqual(Double(gx.data[i]), expected, accuracy: 1e-5, "channel \(ch), element \(k)")
            }
        }
    }

    /// A sequence pairs a batch norm with the ReLU after it (one pass each way, the ReLU's mask applied inside the
    /// norm's backward pass): outputs, input gradients and parameter gradients equal those of the two modules run
    /// one after the other, for ReLU and ReLU6, in training and in a recorded inference pass, on planes whose size
    /// is not a multiple of 8 (a plane starts inside a mask byte: the ReLU records its mask in a pass of its own)
    /// and on planes that are (the norm writes the mask while normalising).
    func testANormAndTheReLUAfterItAsOnePairEqualTheTwoModules() {
        var generator = SeededGenerator(seed: 30)
        for shape in [[3, 5, 7, 9], [3, 5, 4, 10]] {
          for (cap, training) in [(nil, true), (Scalar(0.8), true), (nil, false)] {
            let count = shape.reduce(1, *)
            let x = Tensor(shape: shape, data: (0..<count).map { _ in Float(generator.nextUnit() * 3 - 1) })
            let gy = Tensor(shape: shape, data: (0..<count).map { _ in Float(generator.nextUnit() - 0.5) })
            func make() -> (BatchNorm2d, ReLU) {
                let norm = BatchNorm2d(5)
                for c in 0..<5 {
                    norm.weight.value.data[c] = 0.5 + Float(c) * 0.2
                    norm.bias.value.data[c] = Float(c) * 0.1 - 0.2
                    norm.runningMean.value.data[c] = 0.3
                    norm.runningVariance.value.data[c] = 0.7
                }
                return (norm, ReLU(cap: cap))
            }
            let (norm1, relu1) = make(), (norm2, relu2) = make()
            let separate = relu1.forward(norm1.forward(x, training: training), training: training)
            let separateGradient = norm1.backward(relu1.backward(gy))
            let pair = Sequential([norm2, relu2])
            let paired = pair.forward(x, training: training)
            let pairedGradient = pair.backward(gy)
            XCTAssertEqual(paired.data, separate.data, "outputs, cap \(String(describing: cap)), training \(training)")
            XCTAssertTrue(separate.data.contains(0) && separateGradient.data.contains { $0 != 0 }, "the ReLU clips some values, not all")
            for (a, b) in zip(pairedGradient.data, separateGradient.data) { XCTAssertEqual(a, b, accuracy: 1e-6) }
            for (a, b) in zip(norm2.weight.gradient.data + norm2.bias.gradient.data, norm1.weight.gradient.data + norm1.bias.gradient.data) {
                XCTAssertEqual(a, b, accuracy: 1e-5)
            }
          }
        }
    }
}
