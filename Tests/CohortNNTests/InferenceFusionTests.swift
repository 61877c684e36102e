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

    /// Fused convolutions hand their outputs on in oneDNN's own layout: in ResNet-18 only the max pool after the
    /// stem and the average pool before the classifier need NCHW, so exactly two activations are reordered back,
    /// and MobileNetV2's single one is before its pooling head. The outputs match the layer-by-layer pass (the
    /// test above), so a chain that kept the wrong layout would fail there.
    func testActivationsStayInOneDNNsLayoutBetweenFusedConvolutions() throws {
        for (name, expected) in [("resnet18", 2), ("mobilenet-v2", 1)] {
            let model = try ModelZoo.make(name, channels: 3, height: 32, width: 32, classes: 2)
            let x = Tensor(shape: [1, 3, 32, 32], data: (0..<(3 * 1024)).map { Float($0 % 7) / 7 })
            let before = KeptTensor.conversions
            _ = GradientRecording.withoutGradients { model.forward(x, training: false) }
            XCTAssertEqual(KeptTensor.conversions - before, expected, name)
        }
    }

    /// A chain of fused convolutions whose channel counts make oneDNN choose different layouts from one to the next
    /// (blocks of 16, of 8, plain), with a residual sum whose addend comes from another convolution: each one reads
    /// the previous output in whatever layout it was kept, against the layer-by-layer pass.
    func testKeptOutputsAreReadInWhateverLayoutTheyWereKept() {
        var generator = SeededGenerator(seed: 8)
        let widths = [3, 16, 5, 32, 8, 1, 24, 4]
        var layers: [Module] = []
        for (cin, cout) in zip(widths, widths.dropFirst()) {
            layers += [Conv2d(cin, cout, kernel: 3, padding: 1, bias: cin % 2 == 0), BatchNorm2d(cout), ReLU()]
        }
        let model = Sequential([Sequential(layers), ResidualBlock.basic(4, 16, stride: 1), ResidualBlock.basic(16, 16, stride: 1)])
        WeightInitialization.kaimingUniform(model, seed: 3)
        for entry in model.state where entry.parameter.role == .runningVariance || entry.parameter.role == .normBias {
            for i in entry.parameter.value.data.indices { entry.parameter.value.data[i] = Float(generator.nextUnit() + 0.2) }
        }
        let x = Tensor(shape: [2, 3, 9, 11], data: (0..<(2 * 3 * 99)).map { _ in Float(generator.nextUnit() - 0.5) })
        InferenceFusion.isEnabled = false
        let plain = GradientRecording.withoutGradients { model.forward(x, training: false) }
        InferenceFusion.isEnabled = true
        let before = (OneDNNFusedConvolution.executions, KeptTensor.conversions)
        let fused = GradientRecording.withoutGradients { model.forward(x, training: false) }
        XCTAssertEqual(OneDNNFusedConvolution.executions - before.0, widths.count - 1 + 5)
        XCTAssertEqual(KeptTensor.conversions - before.1, 1, "only the final output is reordered")
        let scale = plain.data.map { abs($0) }.max() ?? 1
        for (a, b) in zip(fused.data, plain.data) { XCTAssertEqual(a, b, accuracy: 1e-4 * max(scale, 1)) }
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
