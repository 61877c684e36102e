/// The models of the zoo by name, with configurable input channels, size and classes.
public enum ModelZoo {
    /// Names `make(_:)` accepts.
    public static let names = ["simple-cnn", "mammo-cnn", "paper-cnn", "resnet18", "resnet34", "resnet50", "resnet101",
                               "mobilenet-v2", "densenet121", "unet", "unet-small", "deeplabv3"]

    /// The models that output per-pixel logits `[N, classes, H, W]` (trained on masks).
    public static let segmenters: Set<String> = ["unet", "unet-small", "deeplabv3"]

    /// A fresh model (parameters zero until initialised or loaded). `classes` is ignored by `mammo-cnn` (one logit).
    public static func make(_ name: String, channels: Int, height: Int, width: Int, classes: Int) throws -> Module {
        switch name {
        case "simple-cnn": return PaperModels.simpleCNN(channels: channels, height: height, width: width, classes: classes)
        case "mammo-cnn": return PaperModels.mammoCNN(channels: channels, height: height, width: width)
        case "paper-cnn": return PaperModels.paperCNN(channels: channels, height: height, width: width, classes: classes)
        case "resnet18", "resnet34", "resnet50", "resnet101":
            return ResNet.make(depth: Int(name.dropFirst(6))!, channels: channels, classes: classes)
        case "mobilenet-v2": return MobileNetV2.make(channels: channels, classes: classes)
        case "densenet121": return DenseNet.make121(channels: channels, classes: classes)
        case "unet": return UNet(channels: channels, classes: classes, widths: [16, 32, 64, 128])
        case "unet-small": return UNet(channels: channels, classes: classes)
        case "deeplabv3": return DeepLabV3(channels: channels, classes: classes)
        default:
            throw Checkpoint.LoadError(message: "no model named '\(name)'; the zoo has \(names.joined(separator: ", "))")
        }
    }
}

extension Checkpoint {
    /// Loads a checkpoint for fine-tuning: every tensor that fits is copied; the classifier head (`fc.*`,
    /// `classifier.*`, `head.*`) may differ in shape (another class count) and is then left as initialised.
    /// Returns the names left out; anything else that does not fit is an error.
    @discardableResult
    public func loadForFineTuning(into model: Module) throws -> [String] {
        let heads = ["fc.", "classifier.", "head."]
        var skipped: [String] = []
        var fitting = tensors
        for entry in model.state {
            guard let t = tensors[entry.name], t.shape != entry.parameter.value.shape, heads.contains(where: { entry.name.hasPrefix($0) }) else { continue }
            skipped.append(entry.name)
            fitting[entry.name] = entry.parameter.value
        }
        try Checkpoint(tensors: fitting, metadata: [:]).load(into: model)
        return skipped
    }
}
