import XCTest
import CohortCore
@testable import CohortNN
import CohortTensor

/// Training activations kept in oneDNN's channel blocks of 16 between a convolution and the batch norm, ReLU and
/// convolution after it: the layout itself, each layer reading and writing it, and whole zoo models trained with
/// and without it.
final class ChannelBlockTests: XCTestCase {
    private func random(_ shape: [Int], _ generator: inout SeededGenerator, scale: Double = 2, offset: Double = -1) -> Tensor {
        Tensor(shape: shape, data: (0..<shape.reduce(1, *)).map { _ in Float(generator.nextUnit() * scale + offset) })
    }

    private func worst(_ a: Tensor, _ b: Tensor) -> Float {
        precondition(a.shape == b.shape)
        return zip(a.data, b.data).map { abs($0 - $1) }.max() ?? 0
    }

    /// Element (b, c, h, w) of a blocked `[N, C, H, W]` tensor sits at ((b C/16 + c/16) H W + h W + w) 16 + c % 16,
    /// and converting back gives the same bits.
    func testChannelBlocksPlaceEachValueWhereTheLayoutSays() {
        let (n, c, h, w) = (2, 32, 5, 7)
        let x = Tensor(shape: [n, c, h, w], data: (0..<(n * c * h * w)).map(Float.init))
        let blocked = x.inLayout(.channelBlocks16)
        XCTAssertEqual(blocked.layout, .channelBlocks16)
        for b in 0..<n {
            for ch in 0..<c {
                for y in 0..<h {
                    for xx in 0..<w {
                        let at = ((b * c / 16 + ch / 16) * h * w + y * w + xx) * 16 + ch % 16
                        XCTAssertEqual(blocked.data[at], x.data[((b * c + ch) * h + y) * w + xx])
                    }
                }
            }
        }
        let back = blocked.inLayout(.nchw)
        XCTAssertEqual(back.layout, .nchw)
        XCTAssertEqual(back.data, x.data)
    }

    /// Batch norm with its paired ReLU6 on blocked input against the NCHW pass: training and inference outputs,
    /// the ReLU mask (through the input gradient), running statistics, and every gradient.
    func testBatchNormReadsAndWritesChannelBlocksAsNCHW() {
        var generator = SeededGenerator(seed: 31)
        let x = random([3, 48, 9, 11], &generator, scale: 6, offset: -2)
        let gy = random(x.shape, &generator)
        func run(blocked: Bool, training: Bool) -> [Tensor] {
            let norm = BatchNorm2d(48), relu = ReLU(cap: 6)
            for c in 0..<48 { norm.weight.value.data[c] = Float(c % 5) * 0.4 - 0.5; norm.bias.value.data[c] = Float(c % 7) * 0.3 - 1 }
            for c in 0..<48 { norm.runningMean.value.data[c] = Float(c) * 0.01; norm.runningVariance.value.data[c] = 1 + Float(c) * 0.05 }
            let input = blocked ? x.inLayout(.channelBlocks16) : x
            let y = norm.forward(input, training: training, then: relu)
            XCTAssertEqual(y.layout, input.layout)
            let gx = norm.backward(blocked ? gy.inLayout(.channelBlocks16) : gy, through: relu)
            XCTAssertEqual(gx.layout, input.layout)
            return [y.inLayout(.nchw), gx.inLayout(.nchw), norm.weight.gradient, norm.bias.gradient,
                    norm.runningMean.value, norm.runningVariance.value]
        }
        for training in [true, false] {
            let names = ["output", "input gradient", "weight gradient", "bias gradient", "running mean", "running variance"]
            for (name, (plain, blocked)) in zip(names, zip(run(blocked: false, training: training), run(blocked: true, training: training))) {
                let scale = max(plain.data.map(abs).max() ?? 0, 1)
                XCTAssertLessThan(worst(plain, blocked), 1e-5 * scale, "\(name), training \(training)")
            }
        }
    }

    /// A convolution reading blocked input and keeping its training output blocked, through oneDNN and through
    /// the reference loops (which convert), against the NCHW pass: output, input gradient (back in the input's
    /// layout) and weight and bias gradients.
    func testConvolutionsReadAndKeepChannelBlocks() {
        var generator = SeededGenerator(seed: 8)
        let layers = [Conv2d(32, 16, kernel: 3, padding: 1), Conv2d(16, 32, kernel: 1, stride: 2, bias: false),
                      Conv2d(32, 32, kernel: 3, padding: 1, groups: 32, bias: false)]
        for layer in layers {
            for (_, p) in layer.state { for i in p.value.data.indices { p.value.data[i] = Float(generator.nextUnit() - 0.5) } }
            let x = random([2, layer.inChannels, 8, 6], &generator)
            var reference: [Tensor] = []
            for (oneDNN, blocked) in [(true, false), (true, true), (false, true)] {
                (layer.usesOneDNN, layer.keepsBlockedOutput) = (oneDNN, blocked)
                let y = layer.forward(blocked ? x.inLayout(.channelBlocks16) : x, training: true)
                XCTAssertEqual(y.layout, blocked && oneDNN ? .channelBlocks16 : .nchw)
                var gradientValues = SeededGenerator(seed: 9)  // the same output gradient each way
                let gy = random(y.shape, &gradientValues)
                layer.zeroGradients()
                let gx = layer.backward(y.layout == .nchw ? gy : gy.inLayout(y.layout))
                XCTAssertEqual(gx.layout, blocked ? .channelBlocks16 : .nchw)
                let results = [y.inLayout(.nchw), gx.inLayout(.nchw)] + layer.parameters.map(\.gradient)
                if reference.isEmpty { reference = results; continue }
                for (i, (a, b)) in zip(reference, results).enumerated() {
                    XCTAssertLessThan(worst(a, b), 1e-3, "result \(i) of \(layer.inChannels)->\(layer.outChannels) groups \(layer.groups), oneDNN \(oneDNN)")
                }
            }
            (layer.usesOneDNN, layer.keepsBlockedOutput) = (true, false)
        }
    }

    /// Sequential plans the layouts: in MobileNetV2's blocks (1x1 expand, BN, ReLU6, depthwise) the expansion keeps
    /// blocks where the channels allow it, never in front of a layer that reads NCHW only.
    func testPlanningKeepsBlocksOnlyInFrontOfReaders() {
        let block = Sequential([Conv2d(16, 32, kernel: 1), BatchNorm2d(32), ReLU(), Conv2d(32, 32, kernel: 3, padding: 1, groups: 32),
                                BatchNorm2d(32), ReLU(), MaxPool2d(2), Conv2d(32, 24, kernel: 1), BatchNorm2d(24), ReLU(), Conv2d(24, 16, kernel: 1)])
        let convs = block.children.compactMap { $0.module as? Conv2d }
        XCTAssertEqual(convs.map(\.keepsBlockedOutput), [true, false, false, false])
    }

    /// One training step of zoo models with channel blocks and without: the same loss and gradients within float
    /// tolerance (batch-norm sums are added in another order), and the same running statistics.
    func testZooModelsTrainTheSameWithAndWithoutChannelBlocks() throws {
        for (name, size) in [("mobilenet-v2", 32), ("resnet18", 32), ("unet", 32)] {
            func step(_ enabled: Bool) throws -> (loss: Double, state: [Tensor]) {
                Conv2d.channelBlocksEnabled = enabled
                defer { Conv2d.channelBlocksEnabled = true }
                let model = try ModelZoo.make(name, channels: 3, height: size, width: size, classes: 2)
                WeightInitialization.kaimingUniform(model, seed: 5)
                var generator = SeededGenerator(seed: 2)
                let x = random([2, 3, size, size], &generator)
                let logits = model.forward(x, training: true)
                XCTAssertEqual(logits.layout, .nchw, name)
                let loss = ModelZoo.segmenters.contains(name)
                    ? pixelwiseCrossEntropy(logits, targets: (0..<(2 * size * size)).map { ($0 / 7) % 2 })
                    : softmaxCrossEntropy(logits, labels: [0, 1])
                model.zeroGradients()
                _ = model.backward(loss.gradient)
                return (loss.value, model.parameters.map(\.gradient) + model.state.filter { !$0.parameter.isTrainable }.map(\.parameter.value))
            }
            let (plain, blocked) = (try step(false), try step(true))
            XCTAssertEqual(plain.loss, blocked.loss, accuracy: 1e-5 * max(abs(plain.loss), 1), name)
            for (i, (a, b)) in zip(plain.state, blocked.state).enumerated() {
                let scale = max(a.data.map(abs).max() ?? 0, 1e-3)
                XCTAssertLessThan(worst(a, b), 2e-3 * scale, "\(name): state tensor \(i) of \(a.shape)")
            }
        }
    }
}
