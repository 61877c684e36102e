import CohortCore

/// Applies a ``Preprocessing`` to one image (and its mask, with the same geometry).
public struct Preprocessor: Sendable {
    public let settings: Preprocessing

    /// Creates a preprocessor.
    public init(_ settings: Preprocessing) { self.settings = settings }

    /// The display image of `image` at the declared intensity settings, `[H, W, C]` in [0, 1].
    public func intensities(of image: MedicalImage) throws -> FloatImage {
        switch settings.intensity {
        case .fileVOI: return FloatImage(try image.display(voi: .automatic))
        case .minMax: return FloatImage(try image.display(voi: .minMax))
        case let .window(center, width):
            return FloatImage(try image.display(voi: .explicit(Window(center: center, width: width))))
        }
    }

    /// Crops, orients and resizes `display` (values in [0, 1]) and `mask` (same size, 0/1), in that order, and
    /// makes the image gray: the cacheable part (augmentation comes next, then ``finish(_:)``).
    /// `laterality` is the image's (0020,0062) value when known.
    public func prepare(display: FloatImage, mask: FloatImage?, laterality: String?) -> (FloatImage, FloatImage?) {
        let (image, preparedMask, _) = prepareTracked(display: display, mask: mask, laterality: laterality)
        return (image, preparedMask)
    }

    /// Normalises a prepared (and possibly augmented) gray image and replicates channels as declared.
    public func finish(_ image: FloatImage) -> FloatImage {
        Normalizer.normalize(image, settings.normalization, channels: settings.outputChannels)
    }

    func shouldFlip(_ image: FloatImage, laterality: String?) -> Bool {
        switch settings.orientation {
        case .none: return false
        case .laterality: return laterality?.uppercased() == "R"
        case .auto:
            if let side = laterality?.uppercased(), side == "L" || side == "R" { return side == "R" }
            return ForegroundCrop.rightHalfIsBrighter(image)
        }
    }
}

/// Channel handling and value normalisation.
public enum Normalizer {
    /// ImageNet channel means and standard deviations.
    public static let imagenetMean: [Float] = [0.485, 0.456, 0.406], imagenetStd: [Float] = [0.229, 0.224, 0.225]

    /// Averages colour channels to one gray channel (ultrasound exported as RGB); gray images unchanged.
    public static func toGray(_ image: FloatImage) -> FloatImage {
        guard image.channels > 1 else { return image }
        var out = [Float](repeating: 0, count: image.height * image.width)
        let c = image.channels, used = Swift.min(c, 3)
        for p in out.indices {
            var sum: Float = 0
            for k in 0..<used { sum += image.values[p * c + k] }
            out[p] = sum / Float(used)
        }
        return FloatImage(height: image.height, width: image.width, channels: 1, values: out)
    }

    /// Normalises a one-channel image in [0, 1] and replicates it to `channels`.
    public static func normalize(_ gray: FloatImage, _ mode: Preprocessing.Normalization, channels: Int) -> FloatImage {
        var values = gray.values
        switch mode {
        case .unit, .imagenet: break
        case .symmetric: for i in values.indices { values[i] = values[i] * 2 - 1 }
        case .zscore:
            let n = Float(Swift.max(values.count, 1))
            let mean = values.reduce(0, +) / n
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / n
            let std = variance > 1e-12 ? variance.squareRoot() : 1
            for i in values.indices { values[i] = (values[i] - mean) / std }
        }
        guard channels > 1 || mode == .imagenet else {
            return FloatImage(height: gray.height, width: gray.width, channels: 1, values: values)
        }
        let n = values.count
        let out = [Float](unsafeUninitializedCapacity: n * channels) { target, initialized in
            values.withUnsafeBufferPointer { source in
                for k in 0..<channels {
                    if mode == .imagenet {
                        let mean = imagenetMean[k % 3], std = imagenetStd[k % 3]
                        for p in 0..<n { target[p * channels + k] = (source[p] - mean) / std }
                    } else {
                        for p in 0..<n { target[p * channels + k] = source[p] }
                    }
                }
            }
            initialized = n * channels
        }
        return FloatImage(height: gray.height, width: gray.width, channels: channels, values: out)
    }
}
