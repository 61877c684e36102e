import CohortCore
import CohortNN
import CohortTensor
import XCTest

/// Max pooling's fast paths (2x2, and windows wholly inside the plane) against a plain reference: values and the
/// gradient's target (the first maximum in window order), on inputs full of ties.
final class MaxPoolTests: XCTestCase {
    /// The reference: every window scanned in order with bounds tests, the first maximum kept.
    private func reference(_ x: Tensor, kernel: Int, stride: Int, padding: Int) -> (out: [Float], argmax: [Int]) {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let ho = (h + 2 * padding - kernel) / stride + 1, wo = (w + 2 * padding - kernel) / stride + 1
        var out: [Float] = [], argmax: [Int] = []
        for plane in 0..<(n * c) {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var best: Float = 0, index = -1
                    for ky in 0..<kernel {
                        for kx in 0..<kernel {
                            let iy = oy * stride - padding + ky, ix = ox * stride - padding + kx
                            guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                            let i = plane * h * w + iy * w + ix
                            if index < 0 || x.data[i] > best { (best, index) = (x.data[i], i) }
                        }
                    }
                    out.append(best)
                    argmax.append(index)
                }
            }
        }
        return (out, argmax)
    }

    func testEveryPathMatchesThePlainScanWithTies() {
        var generator = SeededGenerator(seed: 4)
        for (kernel, stride, padding, h, w) in [(3, 2, 1, 9, 11), (3, 2, 1, 8, 8), (3, 1, 1, 6, 7), (2, 2, 0, 6, 8), (3, 2, 0, 7, 9), (5, 3, 2, 10, 13),
                                                // Tiling windows with inputs no window covers (their gradient is 0).
                                                (2, 2, 0, 7, 9), (3, 3, 0, 10, 11)] {
            let shape = [2, 3, h, w]
            // Four levels only: most windows hold ties.
            let x = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(Int(generator.next() % 4)) - 1.5 })
            let pool = MaxPool2d(kernel, stride: stride, padding: padding)
            let y = pool.forward(x, training: false)
            let expected = reference(x, kernel: kernel, stride: stride, padding: padding)
            let label = "kernel \(kernel) stride \(stride) padding \(padding) on \(h)x\(w)"
            XCTAssertEqual(y.data, expected.out, label)
            // The gradient of output o goes to input argmax[o]: weights 1, 2, 3... make every target visible.
            let gy = Tensor(shape: y.shape, data: (0..<y.count).map { Float($0 + 1) })
            let gx = pool.backward(gy)
            var expectedGradient = [Float](repeating: 0, count: x.count)
            for (o, i) in expected.argmax.enumerated() { expectedGradient[i] += Float(o + 1) }
            XCTAssertEqual(gx.data, expectedGradient, label)
        }
    }
}
