#if COHORT_DOUBLE
import CohortNN64
import CohortTensor64
#else
import CohortNN
import CohortTensor
#endif
import CohortTestSupport
import Foundation
import XCTest

/// Parity with PyTorch (float64 references in ../shared/parity; weights and inputs from the README's formula).
final class ParityTests: XCTestCase {
    struct Reference: Decodable {
        struct Entry: Decodable { var name: String; var shape: [Int] }
        struct Sampled: Decodable { var norm: Double?; var index: [Int]; var value: [Double] }
        struct AdamStep: Decodable { var lr: Double; var delta: [String: Sampled] }
        var model: String
        var input_shape: [Int]
        var classes: Int
        var loss: String
        var labels: [Int]
        var phase: Double
        var state_dict: [Entry]
        var eval_logits: [Double]
        var train_logits: [Double]
        var train_loss: Double
        var grads: [String: Sampled]
        var running_stats_after_one_train_forward: [String: Sampled]
        var adam_step: AdamStep
    }

    /// Worst relative error seen, for the closing note.
    static var worst: [String: Double] = [:]

    private func load(_ name: String) throws -> Reference {
        guard let shared = TestPaths.sharedData else { throw XCTSkip(TestPaths.sharedDataMissing) }
        let url = shared.deletingLastPathComponent().appendingPathComponent("parity/\(name).json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    /// Sets every state tensor from the formula: k = position in the state dict, i = flat index.
    private func initialize(_ model: Module, _ reference: Reference) {
        let state = model.state
        XCTAssertEqual(state.map(\.name), reference.state_dict.map(\.name), "state-dict names and order")
        for (k, entry) in state.enumerated() {
            XCTAssertEqual(entry.parameter.value.shape, reference.state_dict[k].shape, entry.name)
            let p = entry.parameter
            for i in p.value.data.indices {
                let s = sin(0.37 * Double(i) + reference.phase * Double(k))
                let value: Double
                switch p.role {
                case .normWeight: value = 1 + 0.1 * s
                case .normBias, .bias, .runningMean: value = 0.1 * s
                case .runningVariance: value = 1 + 0.5 * abs(s)
                case .batchCount: value = 0
                case .weight(let fanIn): value = s / Double(fanIn).squareRoot()
                }
                p.value.data[i] = Scalar(value)
            }
        }
    }

    private func input(_ shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(shape: shape, data: (0..<count).map { Scalar(sin(0.11 * Double($0))) })
    }

    /// |a - b| / max(|b|, floor): relative error with an absolute floor for values near zero.
    private func check(_ actual: Double, _ expected: Double, _ what: String, tolerance: Double, floor: Double) {
        let error = abs(actual - expected) / max(abs(expected), floor)
        Self.worst[what, default: 0] = max(Self.worst[what, default: 0], error)
        XCTAssertLessThanOrEqual(error, tolerance, "\(what): \(actual) vs \(expected)")
    }

    /// Relative tolerance on gradients. mammo-cnn's early-layer gradients are ill-conditioned in float32: its
    /// smooth input makes near-ties in max pooling that float32 rounding breaks differently. PyTorch itself in
    /// float32 is 98% off its own float64 reference on `features.1.weight` (norm 0.00895 vs 0.00451, measured with
    /// torch 2.x CPU); this engine is 5% off. Elsewhere gradients agree to 1e-3 or better.
    private func gradientTolerance(_ name: String) -> Double {
        #if COHORT_DOUBLE
        return 2e-5  // resnet50's deep training-mode gradients are sensitive at 1e-5 even in float64
        #else
        return name == "mammo-cnn" ? 0.1 : 1e-3
        #endif
    }

    /// Tolerance on logits, losses and statistics: 1e-4 in float32 (the target), 1e-5 in the float64
    /// build (resnet50's training-mode outputs reach 7e-6).
    private var valueTolerance: Double {
        #if COHORT_DOUBLE
        return 1e-5
        #else
        return 1e-4
        #endif
    }

    /// `trainMode`: compare the training-mode references too. For the ResNets at 64x64 with batch 2, the last
    /// stage normalises over 8 values per channel and training-mode outputs are chaotic in float32: PyTorch's own
    /// float32 run gives train logits 0.398, -0.335, ... against its float64 reference 0.067, -0.119, ... (resnet18,
    /// measured with torch 2.x CPU). Those models are compared in inference mode, and their backward pass is
    /// covered by the finite-difference checks of ``ResidualBlock``.
    private var adamTolerance: Double {
        #if COHORT_DOUBLE
        return 1e-5
        #else
        return 2e-3
        #endif
    }

    private func runParity(_ name: String, trainMode requested: Bool = true, build: (Reference) -> Module) throws {
        #if COHORT_DOUBLE
        let trainMode = true  // float64 reproduces every training-mode reference
        #else
        let trainMode = requested
        #endif
        let reference = try load(name)
        let model = build(reference)
        initialize(model, reference)
        let x = input(reference.input_shape)
        let evalLogits = model.forward(x, training: false)
        for (a, e) in zip(evalLogits.data, reference.eval_logits) { check(Double(a), e, "\(name) eval logits", tolerance: valueTolerance, floor: 1e-3) }
        guard trainMode else { return }
        let trainLogits = model.forward(x, training: true)
        for (a, e) in zip(trainLogits.data, reference.train_logits) { check(Double(a), e, "\(name) train logits", tolerance: valueTolerance, floor: 1e-3) }
        let loss = reference.loss == "bce"
            ? binaryCrossEntropyWithLogits(trainLogits, targets: reference.labels.map { Scalar($0) })
            : softmaxCrossEntropy(trainLogits, labels: reference.labels)
        check(loss.value, reference.train_loss, "\(name) loss", tolerance: valueTolerance, floor: 1e-6)
        model.zeroGradients()
        _ = model.backward(loss.gradient)
        let state = Dictionary(uniqueKeysWithValues: model.state.map { ($0.name, $0.parameter) })
        // Tensors whose true gradient is zero (a convolution bias right before BatchNorm: the batch mean removes
        // it) come out as float32 rounding noise; they are checked to be negligible and left out of the Adam check.
        var vanishing: Set<String> = []
        for (tensor, expected) in reference.grads {
            let p = try XCTUnwrap(state[tensor], tensor)
            if let norm = expected.norm, norm < 1e-12 {
                vanishing.insert(tensor)
                XCTAssertLessThan(p.gradient.norm, 1e-6, "\(name) \(tensor): the gradient should vanish")
                continue
            }
            if let norm = expected.norm { check(p.gradient.norm, norm, "\(name) gradient norms", tolerance: gradientTolerance(name), floor: 1e-9) }
            let scale = max(expected.norm ?? 0, 1e-12) / Double(max(p.gradient.count, 1)).squareRoot()
            for (i, v) in zip(expected.index, expected.value) {
                check(Double(p.gradient.data[i]), v, "\(name) gradient values", tolerance: gradientTolerance(name), floor: max(scale, 1e-9))
            }
        }
        for (tensor, expected) in reference.running_stats_after_one_train_forward {
            let p = try XCTUnwrap(state[tensor], tensor)
            for (i, v) in zip(expected.index, expected.value) { check(Double(p.value.data[i]), v, "\(name) running stats", tolerance: valueTolerance, floor: 1e-3) }
        }
        let before = Dictionary(uniqueKeysWithValues: model.state.map { ($0.name, $0.parameter.value) })
        let adam = Adam(parameters: model.parameters, learningRate: Scalar(reference.adam_step.lr))
        adam.update()
        // Adam's first step is -lr * g / (|g| + eps): where |g| is within a few orders of eps (1e-8) it amplifies
        // rounding of g by up to 1/eps, so those elements (reference |g| < 1e-6) are left out.
        for (tensor, expected) in reference.adam_step.delta where !vanishing.contains(tensor) {
            let p = try XCTUnwrap(state[tensor], tensor)
            let gradients = reference.grads[tensor].map { Dictionary(zip($0.index, $0.value), uniquingKeysWith: { a, _ in a }) } ?? [:]
            for (i, v) in zip(expected.index, expected.value) where abs(gradients[i] ?? 1) >= 1e-6 {
                check(Double(p.value.data[i] - before[tensor]!.data[i]), v, "\(name) adam step", tolerance: adamTolerance, floor: 1e-6)
            }
        }
    }

    func testSimpleCNNMatchesPyTorch() throws {
        try runParity("simple-cnn") { r in PaperModels.simpleCNN(channels: r.input_shape[1], height: r.input_shape[2], width: r.input_shape[3], classes: r.classes) }
    }

    func testPaperCNNMatchesPyTorch() throws {
        try runParity("paper-cnn") { r in PaperModels.paperCNN(channels: r.input_shape[1], height: r.input_shape[2], width: r.input_shape[3], classes: r.classes) }
    }

    func testMammoCNNMatchesPyTorch() throws {
        try runParity("mammo-cnn") { r in PaperModels.mammoCNN(channels: r.input_shape[1], height: r.input_shape[2], width: r.input_shape[3], dropout: 0) }
    }

    func testResNet18MatchesPyTorch() throws {
        try runParity("resnet18", trainMode: false) { r in ResNet.make(depth: 18, channels: r.input_shape[1], classes: r.classes) }
    }

    func testResNet50MatchesPyTorch() throws {
        try runParity("resnet50", trainMode: false) { r in ResNet.make(depth: 50, channels: r.input_shape[1], classes: r.classes) }
    }

    func testMobileNetV2MatchesPyTorch() throws {
        try runParity("mobilenet-v2", trainMode: false) { r in MobileNetV2.make(channels: r.input_shape[1], classes: r.classes, dropout: 0) }
    }

    /// Whole-model backward check where the training-mode references are ill-conditioned: at the parity weights
    /// and input, in inference mode, the directional derivative of the loss along random directions in input and
    /// parameter space equals the analytic gradient's projection.
    private func directionalCheck(_ name: String, build: (Reference) -> Module) throws {
        let reference = try load(name)
        let model = build(reference)
        initialize(model, reference)
        let x = input(reference.input_shape)
        let loss = softmaxCrossEntropy(model.forward(x, training: false), labels: reference.labels)
        model.zeroGradients()
        let gx = model.backward(loss.gradient)
        var seed: UInt64 = 99
        func direction(_ count: Int) -> [Scalar] {
            (0..<count).map { _ in seed = seed &* 6364136223846793005 &+ 1442695040888963407; return Scalar(Double(seed >> 11) * 0x1p-53 * 2 - 1) }
        }
        let dx = direction(x.count)
        let params = model.parameters
        let dp = params.map { direction($0.value.count) }
        let originals = params.map(\.value)
        func objective(_ t: Scalar) -> Double {
            var moved = x
            for i in moved.data.indices { moved.data[i] += t * dx[i] }
            for (k, p) in params.enumerated() { for i in p.value.data.indices { p.value.data[i] = originals[k].data[i] + t * dp[k][i] } }
            defer { for (k, p) in params.enumerated() { p.value = originals[k] } }
            return softmaxCrossEntropy(model.forward(moved, training: false), labels: reference.labels).value
        }
        // Richardson extrapolation of central differences at h and h/2 cancels the h^2 term; max pooling and
        // ReLU kinks crossed by the step are the remaining error (0.4% to 1.1% over seeds for ResNet18), hence 2%.
        let h: Scalar = 2e-3
        let wide = (objective(h) - objective(-h)) / Double(2 * h), narrow = (objective(h / 2) - objective(-h / 2)) / Double(h)
        let numeric = (4 * narrow - wide) / 3
        var analytic = zip(gx.data, dx).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
        for (k, p) in params.enumerated() { analytic += zip(p.gradient.data, dp[k]).reduce(0.0) { $0 + Double($1.0) * Double($1.1) } }
        check(analytic, numeric, "\(name) inference directional derivative", tolerance: 2e-2, floor: 1e-3)
    }

    func testResNet18BackwardMatchesFiniteDifferences() throws {
        try directionalCheck("resnet18") { r in ResNet.make(depth: 18, channels: r.input_shape[1], classes: r.classes) }
    }

    func testMobileNetV2BackwardMatchesFiniteDifferences() throws {
        try directionalCheck("mobilenet-v2") { r in MobileNetV2.make(channels: r.input_shape[1], classes: r.classes, dropout: 0) }
    }

    func testDenseNet121BackwardMatchesFiniteDifferences() throws {
        try directionalCheck("densenet121") { r in DenseNet.make121(channels: r.input_shape[1], classes: r.classes) }
    }

    func testDenseNet121MatchesPyTorch() throws {
        try runParity("densenet121", trainMode: false) { r in DenseNet.make121(channels: r.input_shape[1], classes: r.classes) }
    }

    override class func tearDown() {
        for (what, error) in worst.sorted(by: { $0.key < $1.key }) { print(String(format: "parity %@: worst relative error %.2e", what, error)) }
        super.tearDown()
    }
}
