/// Random augmentation settings, with overrides per class so that minority classes can be augmented more
/// (the BUSI paper: flip with p = 0.9, rotation within +-15 degrees and intensity jitter on minority classes).
///
/// Every probability is in [0, 1]; ranges are symmetric around "no change". A zero disables a transform.
public struct AugmentationPolicy: Codable, Sendable, Hashable {
    /// Probability of a left-right flip.
    public var horizontalFlip = 0.0
    /// Probability of a top-bottom flip.
    public var verticalFlip = 0.0
    /// Rotation drawn uniformly in +-`rotationDegrees`.
    public var rotationDegrees = 0.0
    /// Zoom factor drawn uniformly in [1 - scale, 1 + scale].
    public var scale = 0.0
    /// Shift drawn uniformly in +-`translate` of the width and height.
    public var translate = 0.0
    /// Additive brightness drawn in +-`brightness` (display units).
    public var brightness = 0.0
    /// Contrast factor drawn in [1 - contrast, 1 + contrast] around the image mean.
    public var contrast = 0.0
    /// Gamma drawn as exp(u), u in +-`gamma` (applied to values clamped to [0, 1]).
    public var gamma = 0.0
    /// Gaussian noise with a standard deviation drawn in [0, noise].
    public var noise = 0.0
    /// Gaussian blur with sigma drawn in [0, blurSigma] pixels, applied with probability `blurProbability`.
    public var blurSigma = 0.0
    public var blurProbability = 0.0
    /// Settings replacing these for samples of the named classes.
    public var perClass: [String: AugmentationPolicy]? = nil

    /// No augmentation.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case horizontalFlip = "horizontal_flip", verticalFlip = "vertical_flip", rotationDegrees = "rotation_degrees"
        case scale, translate, brightness, contrast, gamma, noise
        case blurSigma = "blur_sigma", blurProbability = "blur_probability", perClass = "per_class"
    }

    /// Reads settings; absent keys keep their defaults (no change).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func value(_ key: CodingKeys) throws -> Double { try c.decodeIfPresent(Double.self, forKey: key) ?? 0 }
        horizontalFlip = try value(.horizontalFlip)
        verticalFlip = try value(.verticalFlip)
        rotationDegrees = try value(.rotationDegrees)
        scale = try value(.scale)
        translate = try value(.translate)
        brightness = try value(.brightness)
        contrast = try value(.contrast)
        gamma = try value(.gamma)
        noise = try value(.noise)
        blurSigma = try value(.blurSigma)
        blurProbability = try value(.blurProbability)
        perClass = try c.decodeIfPresent([String: AugmentationPolicy].self, forKey: .perClass)
        for (name, p) in [("horizontal_flip", horizontalFlip), ("vertical_flip", verticalFlip), ("blur_probability", blurProbability)]
        where !(0...1).contains(p) {
            throw DataError(code: .configuration, message: "augmentation \(name) is a probability; \(p) is outside [0, 1]")
        }
        guard scale < 1 else { throw DataError(code: .configuration, message: "augmentation scale \(scale) must be below 1 (zoom in [1-s, 1+s])") }
    }

    /// The settings for a sample of class `label`.
    public func policy(for label: String?) -> AugmentationPolicy {
        guard let label, let specific = perClass?[label] else { return self }
        return specific
    }

    /// Whether any transform can change a sample.
    public var isIdentity: Bool {
        horizontalFlip == 0 && verticalFlip == 0 && rotationDegrees == 0 && scale == 0 && translate == 0 &&
            brightness == 0 && contrast == 0 && gamma == 0 && noise == 0 && (blurSigma == 0 || blurProbability == 0) &&
            (perClass ?? [:]).values.allSatisfy(\.isIdentity)
    }

    /// The BUSI paper's protocol: no augmentation for the majority class, flips (p = 0.9), +-15 degree rotations
    /// and intensity jitter for the listed minority classes.
    public static func minorityClasses(_ classes: [String]) -> AugmentationPolicy {
        var minority = AugmentationPolicy()
        minority.horizontalFlip = 0.9
        minority.rotationDegrees = 15
        minority.brightness = 0.1
        minority.contrast = 0.1
        minority.gamma = 0.1
        var policy = AugmentationPolicy()
        policy.perClass = Dictionary(uniqueKeysWithValues: classes.map { ($0, minority) })
        return policy
    }
}
