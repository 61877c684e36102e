import CohortCore

/// The preprocessing of an experiment, declared once and recorded with every run: display image, optional crop
/// to the foreground, orientation, size, normalisation and channels. Applied before augmentation and cached.
public struct Preprocessing: Codable, Sendable, Hashable {
    /// How stored values become display intensities in [0, 1].
    public enum Intensity: Codable, Sendable, Hashable {
        /// The file's VOI: first window, else first VOI LUT, else min-max (DICOM PS3.3 C.11.2).
        case fileVOI
        /// An explicit window in modality units.
        case window(center: Double, width: Double)
        /// Min-max of the image.
        case minMax
    }

    /// How the image reaches the target size.
    public enum Resize: String, Codable, Sendable, Hashable {
        /// Scale both axes independently.
        case stretch
        /// Keep the aspect ratio and pad with zeros (centred).
        case pad
    }

    /// Mammography orientation normalisation.
    public enum Orientation: String, Codable, Sendable, Hashable {
        /// Leave images as they are.
        case none
        /// Flip right breasts (laterality R) so every breast faces the same way.
        case laterality
        /// Laterality when known, else flip so that the brighter half (the breast) is on the left.
        case auto
    }

    /// Value normalisation after resizing.
    public enum Normalization: String, Codable, Sendable, Hashable {
        /// [0, 1] as displayed.
        case unit
        /// [-1, 1].
        case symmetric
        /// Zero mean, unit standard deviation per image.
        case zscore
        /// ImageNet mean (0.485, 0.456, 0.406) and std (0.229, 0.224, 0.225) per channel (gray replicated to 3).
        case imagenet
    }

    public var intensity: Intensity = .fileVOI
    public var cropToForeground = false
    public var orientation: Orientation = .none
    public var height = 224
    public var width = 224
    public var resize: Resize = .stretch
    public var normalization: Normalization = .unit
    /// 1 (gray) or 3 (gray replicated, for models that want RGB). ImageNet normalisation implies 3.
    public var channels = 1

    /// Default settings: file VOI, 224x224 stretched, [0, 1], one channel.
    public init() {}

    /// A canonical text of the settings (part of cache keys and run records).
    public var canonicalDescription: String {
        let intensityText: String
        switch intensity {
        case .fileVOI: intensityText = "fileVOI"
        case .minMax: intensityText = "minMax"
        case let .window(center, width): intensityText = "window(\(center),\(width))"
        }
        return "v1;intensity=\(intensityText);crop=\(cropToForeground);orientation=\(orientation.rawValue);" +
            "size=\(height)x\(width);resize=\(resize.rawValue);norm=\(normalization.rawValue);channels=\(outputChannels)"
    }

    /// Channels of the output (3 for ImageNet normalisation whatever `channels` says).
    public var outputChannels: Int { normalization == .imagenet ? 3 : channels }
}
