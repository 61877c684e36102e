import XCTest
import CohortCore
@testable import CohortNN
import CohortTensor

final class FirstLayerTests: XCTestCase {
    /// A network whose first layer skips the input gradient learns exactly as one that computes it: the same
    /// parameter gradients (its oneDNN weight-gradient pass then reorders the output gradient itself), and zeros
    /// for the gradient nobody reads. The first convolution of each zoo family is found, through sequences and
    /// the segmentation models' own classes.
    func testSkippingTheInputGradientLeavesParameterGradientsUnchanged() throws {
        var generator = SeededGenerator(seed: 6)
        for name in ["resnet18", "unet", "mobilenet-v2"] {
            let channels = name == "unet" ? 1 : 3
            let x = Tensor(shape: [2, channels, 32, 32], data: (0..<(2 * channels * 1024)).map { _ in Float(generator.nextUnit() - 0.5) })
            var gradients: [[Float]] = [], inputGradients: [Tensor] = []
            for skip in [false, true] {
                let model = try ModelZoo.make(name, channels: channels, height: 32, width: 32, classes: 2)
                WeightInitialization.kaimingUniform(model, seed: 2)
                if skip { XCTAssertTrue(model.skipsInputGradient(), name) }
                let y = model.forward(x, training: true)
                var seed = SeededGenerator(seed: 1)
                let gy = Tensor(shape: y.shape, data: (0..<y.count).map { _ in Float(seed.nextUnit() - 0.5) })
                model.zeroGradients()
                inputGradients.append(model.backward(gy))
                gradients.append(model.parameters.flatMap { $0.gradient.data })
            }
            XCTAssertEqual(gradients[0], gradients[1], "\(name): parameter gradients")
            XCTAssertTrue(inputGradients[0].data.contains { $0 != 0 }, name)
            XCTAssertEqual(inputGradients[1].shape, inputGradients[0].shape, name)
            XCTAssertTrue(inputGradients[1].data.allSatisfy { $0 == 0 }, "\(name): the skipped input gradient is zeros")
        }
        // A model that does not start with a convolution is left alone.
        XCTAssertFalse(Sequential([Flatten(), Linear(4, 2)]).skipsInputGradient())
    }
}
