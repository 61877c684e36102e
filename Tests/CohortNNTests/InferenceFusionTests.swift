import XCTest
import CohortCore
@testable import CohortNN
import CohortTensor

final class InferenceFusionTests: XCTestCase {
    /// Every zoo model at inference without recording: with convolution + batch norm (+ ReLU/ReLU6, + residual sum
    /// and ReLU) fused into oneDNN primitives, the outputs equal the layer-by-layer pass within float32 rounding,
    /// with batch-norm statistics far from the identity so that a wrong fold shows; and fusion did happen, once per
    /// convolution that a batch norm follows.
    func testFusedInferenceMatchesTheLayerByLayerPass() throws {
        var generator = SeededGenerator(seed: 21)
        for name in ModelZoo.names {
            let channels = name == "mammo-cnn" || name == "unet" ? 1 : 3
            let model = try ModelZoo.make(name, channels: channels, height: 32, width: 32, classes: 3)
            WeightInitialization.kaimingUniform(model, seed: 5)
            for entry in model.state {
                let (low, high): (Double, Double) = switch entry.parameter.role {
                case .runningMean: (-0.5, 0.5)
                case .runningVariance: (0.3, 2.5)
                case .normWeight: (0.5, 1.5)
                case .normBias: (-0.3, 0.3)
                default: (0, 0)
                }
                guard high > low else { continue }
                for i in entry.parameter.value.data.indices { entry.parameter.value.data[i] = Float(low + (high - low) * generator.nextUnit()) }
            }
            let x = Tensor(shape: [2, channels, 32, 32], data: (0..<(2 * channels * 1024)).map { _ in Float(generator.nextUnit()) })
            InferenceFusion.isEnabled = false
            let plain = GradientRecording.withoutGradients { model.forward(x, training: false) }
            InferenceFusion.isEnabled = true
            let before = OneDNNFusedConvolution.executions
            let fused = GradientRecording.withoutGradients { model.forward(x, training: false) }
            // DenseNet's layers are batch norm, ReLU, convolution: only each layer's first convolution (into norm2)
            // and the stem's are followed by a batch norm in execution order, 58 + 1.
            let pairs = name == "densenet121" ? 59 : Self.convolutionsFollowedByBatchNorm(model)
            XCTAssertEqual(OneDNNFusedConvolution.executions - before, pairs, "\(name): fused convolutions")
            XCTAssertEqual(fused.shape, plain.shape, name)
            let scale = plain.data.map { abs($0) }.max() ?? 1
            let worst = zip(fused.data, plain.data).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThan(worst, 1e-4 * max(scale, 1), "\(name): largest difference \(worst) at output scale \(scale)")
            // With recording on (Grad-CAM, gradient checks) nothing is fused.
            let recordedBefore = OneDNNFusedConvolution.executions
            _ = model.forward(x, training: false)
            XCTAssertEqual(OneDNNFusedConvolution.executions, recordedBefore, name)
        }
    }

    /// A residual block's sum and ReLU inside its last convolution, against the block with fusion off, on a
    /// projection block and an identity block whose output has negative pre-activations.
    func testResidualBlocksFuseTheirSumAndReLU() {
        var generator = SeededGenerator(seed: 4)
        for (inplanes, planes, stride) in [(8, 16, 2), (16, 16, 1)] {
            let block = ResidualBlock.basic(inplanes, planes, stride: stride)
            WeightInitialization.kaimingUniform(block, seed: 9)
            for entry in block.state where entry.parameter.role == .normBias {
                for i in entry.parameter.value.data.indices { entry.parameter.value.data[i] = Float(generator.nextUnit() - 0.5) }
            }
            let x = Tensor(shape: [2, inplanes, 12, 12], data: (0..<(2 * inplanes * 144)).map { _ in Float(generator.nextUnit() - 0.5) })
            InferenceFusion.isEnabled = false
            let plain = GradientRecording.withoutGradients { block.forward(x, training: false) }
            InferenceFusion.isEnabled = true
            let before = OneDNNFusedConvolution.executions
            let fused = GradientRecording.withoutGradients { block.forward(x, training: false) }
            XCTAssertEqual(OneDNNFusedConvolution.executions - before, stride == 1 ? 2 : 3)
            XCTAssertTrue(plain.data.contains(0) && plain.data.contains { $0 > 0 }, "the ReLU clips some outputs")
            for (a, b) in zip(fused.data, plain.data) { XCTAssertEqual(a, b, accuracy: 1e-5) }
            // Where a convolution cannot fuse (here: the reference backend), the block adds and applies ReLU itself.
            let convolutions = (block.body.children + (block.downsample?.children ?? [])).compactMap { $0.module as? Conv2d }
            for conv in convolutions { conv.usesOneDNN = false }
            let unfusedBefore = OneDNNFusedConvolution.executions
            let fallback = GradientRecording.withoutGradients { block.forward(x, training: false) }
            XCTAssertEqual(OneDNNFusedConvolution.executions, unfusedBefore)
            for (a, b) in zip(fallback.data, plain.data) { XCTAssertEqual(a, b, accuracy: 1e-4) }
        }
    }

    /// Convolution weights (4-D) directly followed, in state order, by a batch norm's parameters.
    private static func convolutionsFollowedByBatchNorm(_ model: Module) -> Int {
        let state = model.state
        return state.indices.dropLast().filter { i in
            guard state[i].parameter.value.shape.count == 4, state[i].name.hasSuffix("weight") else { return false }
            let next = state[i + 1].parameter.role == .bias && i + 2 < state.count ? state[i + 2] : state[i + 1]
            return next.parameter.role == .normWeight
        }.count
    }
}
