import XCTest
import CohortCore
@testable import CohortNN
import CohortTensor

final class ReLUTests: XCTestCase {
    /// ReLU and ReLU6 with the one-bit-per-element mask, against the definition element by element: lengths that
    /// end inside a byte of the mask, one long enough to be split across threads, values on both sides of 0 and of
    /// the cap, exact zeros and caps (no gradient there, as in PyTorch's `x > 0`), and NaN, which the output keeps.
    func testOutputsAndGradientsFollowTheDefinition() {
        var generator = SeededGenerator(seed: 17)
        for cap in [nil, Scalar(0.5)] {
            for count in [1, 7, 8, 13, 64, 100_003] {
                let relu = ReLU(cap: cap)
                let upper = cap ?? .infinity
                var values = (0..<count).map { _ in Float(generator.nextUnit() * 2 - 1) }
                if count > 8 { values[3] = 0; values[5] = .nan; values[6] = upper.isFinite ? upper : 1 }
                let x = Tensor(shape: [count], data: values)
                let gy = Tensor(shape: [count], data: (0..<count).map { _ in Float(generator.nextUnit() + 0.5) })
                let y = relu.forward(x, training: true)
                let gx = relu.backward(gy)
                for i in 0..<count {
                    let v = values[i]
                    if v.isNaN {
                        XCTAssertTrue(y.data[i].isNaN, "NaN at \(i) kept")
                    } else {
                        XCTAssertEqual(y.data[i], min(max(v, 0), upper), "output \(i) of \(count), cap \(String(describing: cap))")
                    }
                    let passes = v > 0 && v < upper
                    XCTAssertEqual(gx.data[i], passes ? gy.data[i] : 0, "gradient \(i) of \(count), cap \(String(describing: cap)), x = \(v)")
                }
            }
        }
    }

    /// The mask takes one bit per element when recording, and nothing without (the previous pass's is let go).
    func testNothingIsKeptWithoutRecording() {
        let relu = ReLU()
        let x = Tensor(shape: [2, 8], data: (0..<16).map { Float($0) - 8 })
        _ = relu.forward(x, training: true)
        XCTAssertEqual(relu.passes, [0b0000_0000, 0b1111_1110])
        let y = GradientRecording.withoutGradients { relu.forward(x, training: false) }
        XCTAssertEqual(y.data, x.data.map { max($0, 0) })
        XCTAssertEqual(relu.passes.count, 0)
    }
}
