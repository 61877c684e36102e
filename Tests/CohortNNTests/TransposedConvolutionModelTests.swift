import XCTest
@testable import CohortNN
import CohortTensor

/// U-Net's transposed convolutions through oneDNN inside the whole network (where other layers share the scratch
/// copies between a layer's forward and backward) against the matrix-product kernels: loss gradients of every
/// parameter after one training step's forward and backward.
final class TransposedConvolutionModelTests: XCTestCase {
    func testUNetGradientsDoNotDependOnTheTransposedConvolutionPath() {
        let model = UNet(channels: 1, classes: 2, widths: [8, 16, 32])
        WeightInitialization.kaimingUniform(model, seed: 7)
        let x = Tensor(shape: [2, 1, 64, 64], data: (0..<(2 * 64 * 64)).map { Float(sin(0.11 * Double($0))) })
        func gradients(oneDNN: Bool) -> [(String, Tensor)] {
            for layer in model.up { layer.usesOneDNN = oneDNN }
            _ = model.forward(x, training: false)
            let y = model.forward(x, training: true)
            model.zeroGradients()
            let g = Tensor(shape: y.shape, data: y.data.indices.map { Float(cos(0.7 * Double($0))) })
            _ = model.backward(g)
            return model.state.filter { $0.parameter.isTrainable }.map { ($0.name, $0.parameter.gradient) }
        }
        let fast = gradients(oneDNN: true), reference = gradients(oneDNN: false)
        for ((name, a), (_, b)) in zip(fast, reference) {
            let difference = zip(a.data, b.data).map { Double($0 - $1) * Double($0 - $1) }.reduce(0, +).squareRoot()
            XCTAssertLessThan(difference, 1e-4 * max(b.norm, 1e-3), name)
        }
    }
}
