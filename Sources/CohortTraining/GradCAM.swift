import CohortCore
import CohortData
import CohortNN
import CohortTensor
import Foundation

/// Class activation maps through the engine's own backward pass at inference settings, from the activations `A`
/// of a target layer and the gradient `G = dy_c / dA` of the class score:
/// - Grad-CAM (Selvaraju et al. 2017): `ReLU(sum_k mean(G_k) A_k)`, channels weighted by their mean gradient;
/// - HiResCAM (Draelos & Carin 2020): `ReLU(sum_k G_k * A_k)`, element-wise. It equals Grad-CAM (up to scale)
///   when the head averages the maps globally (ResNet, MobileNet, DenseNet) and stays faithful when a fully
///   connected layer reads the flattened maps position by position (simple-cnn, mammo-cnn, paper-cnn), where a
///   channel's mean gradient can point away from where the evidence is.
public struct GradCAM {
    /// How the gradient weights the activations.
    public enum Method: String, Sendable, CaseIterable {
        /// HiResCAM when a fully connected layer reads the target's maps, Grad-CAM after global average pooling.
        case automatic = "auto"
        case gradCAM = "gradcam"
        case hiResCAM = "hirescam"
    }

    /// The target layer's path in the model (`features`, `layer4`, `features.3` ...).
    public let layer: String
    /// The method used (never `.automatic`).
    public let method: Method
    let before: [Module], after: [Module]

    /// Splits `model` (nested ``Sequential`` containers, as every zoo classifier) after the module at `layer`;
    /// without a layer, after the last top-level module whose output is still a spatial map (the last
    /// convolutional block: `features`, `layer4`...). `input` is a model input `[1, C, H, W]` used to find it.
    public init(model: Module, layer: String?, input: Tensor, method: Method = .automatic) throws {
        guard let root = model as? Sequential else {
            throw TrainingError(message: "Grad-CAM needs a classifier built of sequential blocks; this model is not one")
        }
        let name = try layer ?? Self.lastSpatialChild(root, input: input)
        guard let split = Self.split(root, at: name.split(separator: ".").map(String.init)) else {
            let names = root.children.map(\.name).joined(separator: ", ")
            throw TrainingError(message: "the model has no layer '\(name)'; top-level layers: \(names) (nested ones as features.3)")
        }
        (self.layer, before, after) = (name, split.before, split.after)
        let pooled = split.after.first { !($0 is ReLU) } is GlobalAveragePool
        self.method = method == .automatic ? (pooled ? .gradCAM : .hiResCAM) : method
    }

    static func lastSpatialChild(_ root: Sequential, input: Tensor) throws -> String {
        var x = input, chosen: String?
        for child in root.children {
            x = child.module.forward(x, training: false)
            if x.shape.count == 4 && x.shape[2] * x.shape[3] > 1 { chosen = child.name }
        }
        guard let chosen else { throw TrainingError(message: "no layer of this model outputs a spatial map; name one with --layer") }
        return chosen
    }

    /// The modules up to and including the one at `path`, and the ones after it, in forward order.
    static func split(_ m: Sequential, at path: [String]) -> (before: [Module], after: [Module])? {
        guard let first = path.first, let i = m.children.firstIndex(where: { $0.name == first }) else { return nil }
        let head = m.children[..<i].map(\.module), tail = m.children[(i + 1)...].map(\.module)
        if path.count == 1 { return (head + [m.children[i].module], tail) }
        guard let inner = m.children[i].module as? Sequential, let nested = split(inner, at: Array(path.dropFirst())) else { return nil }
        return (head + nested.before, nested.after + tail)
    }

    /// One heat map per image of `x` `[N, C, H, W]`, each `[H, W, 1]` in [0, 1] (bilinear from the layer's grid;
    /// all zero when no location raises the class score), for class `classes[n]` or, when nil, the predicted
    /// class. `sigmoid`: the model has one logit (the class is then the positive one). Returns the maps, the
    /// classes explained and the model's logits.
    public func heatmaps(_ x: Tensor, classes: [Int]? = nil, sigmoid: Bool = false) -> (maps: [FloatImage], classes: [Int], logits: Tensor) {
        let activations = before.reduce(x) { $1.forward($0, training: false) }
        let logits = after.reduce(activations) { $1.forward($0, training: false) }
        let (n, k) = (logits.shape[0], sigmoid ? 1 : logits.shape[1])
        func predicted(_ b: Int) -> Int {
            if sigmoid { return logits.data[b] > 0 ? 1 : 0 }
            let row = Array(logits.data[(b * k)..<((b + 1) * k)])
            return row.indices.max { row[$0] < row[$1] } ?? 0
        }
        let targets: [Int] = classes ?? (0..<n).map(predicted)
        var seed = Tensor(shape: logits.shape)
        for b in 0..<n {
            // For one logit, class 0 is explained by the negated logit.
            if sigmoid { seed.data[b] = targets[b] == 1 ? 1 : -1 } else { seed.data[b * k + targets[b]] = 1 }
        }
        let gradient = after.reversed().reduce(seed) { $1.backward($0) }
        for m in before + after { m.zeroGradients() }
        let (c, h, w) = (activations.shape[1], activations.shape[2], activations.shape[3])
        let maps = (0..<n).map { b -> FloatImage in
            var cam = [Float](repeating: 0, count: h * w)
            for channel in 0..<c {
                let base = (b * c + channel) * h * w
                if method == .hiResCAM {
                    for p in 0..<(h * w) { cam[p] += gradient.data[base + p] * activations.data[base + p] }
                    continue
                }
                var alpha: Float = 0
                for p in 0..<(h * w) { alpha += gradient.data[base + p] }
                alpha /= Float(h * w)
                for p in 0..<(h * w) { cam[p] += alpha * activations.data[base + p] }
            }
            let top = cam.max() ?? 0
            let normalized = cam.map { top > 0 ? max($0, 0) / top : 0 }
            return Resampling.resize(FloatImage(height: h, width: w, channels: 1, values: normalized), height: x.shape[2], width: x.shape[3],
                                     interpolation: .bilinear)
        }
        return (maps, targets, logits)
    }
}

