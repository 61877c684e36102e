import CohortNN
import CohortTensor
import XCTest

/// The oneDNN forward pass against the reference loops, on random and awkward shapes.
final class OneDNNTests: XCTestCase {
    func testOneDNNConvolutionsEqualTheReferenceLoops() {
        var state: UInt64 = 3
        func random() -> Float {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Double(state >> 11) * 0x1p-53 * 2 - 1)
        }
        let cases: [(Conv2d, [Int])] = [
            (Conv2d(3, 8, kernel: 3, padding: 1), [2, 3, 9, 7]),
            (Conv2d(4, 6, kernel: 3, stride: 2, padding: 1, groups: 2), [1, 4, 8, 8]),
            (Conv2d(6, 6, kernel: 3, padding: 2, dilation: 2, groups: 6, bias: false), [2, 6, 7, 7]),
            (Conv2d(3, 5, kernel: 7, stride: 2, padding: 3, bias: false), [1, 3, 13, 11]),
            (Conv2d(5, 4, kernel: 1), [3, 5, 4, 4]),
            (Conv2d(2, 3, kernel: 3), [1, 2, 5, 6]),
        ]
        for (layer, shape) in cases {
            for (_, p) in layer.state { for i in p.value.data.indices { p.value.data[i] = random() } }
            let x = Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in random() })
            layer.usesOneDNN = true
            let fast = layer.forward(x, training: false)
            layer.usesOneDNN = false
            let reference = layer.forward(x, training: false)
            XCTAssertEqual(fast.shape, reference.shape)
            let worst = zip(fast.data, reference.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-4, "\(shape) stride \(layer.stride) dilation \(layer.dilation) groups \(layer.groups)")
            // Backward: input, weight and bias gradients of both paths for the same output gradient.
            let g = Tensor(shape: fast.shape, data: fast.data.indices.map { _ in random() })
            func gradients(_ oneDNN: Bool) -> [Tensor] {
                layer.usesOneDNN = oneDNN
                _ = layer.forward(x, training: true)
                layer.zeroGradients()
                let gx = layer.backward(g)
                return [gx] + layer.parameters.map(\.gradient)
            }
            for (a, b) in zip(gradients(true), gradients(false)) {
                let error = zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
                XCTAssertLessThan(error, 1e-3, "backward \(shape) groups \(layer.groups)")
            }
        }
    }
}
