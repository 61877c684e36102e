import CohortCore
import CohortImageIO
import Foundation

/// Produces prepared samples (decoded, display intensities, cropped, oriented, resized; masks merged) for
/// dataset entries, through the disk cache when one is given.
public struct SampleProvider: Sendable {
    public let preprocessor: Preprocessor
    public let cache: SampleCache?

    /// Creates a provider.
    public init(preprocessing: Preprocessing, cache: SampleCache?) {
        preprocessor = Preprocessor(preprocessing)
        self.cache = cache
    }

    /// The prepared sample of `entry` (gray, [0, 1], target size; not yet augmented or normalised).
    public func prepared(_ entry: DatasetEntry) throws -> Sample {
        let key = SampleCache.key(entry, preprocessing: preprocessor.settings)
        if let cache, let (image, mask) = cache.load(key) {
            return Sample(imageId: entry.imageId, image: image, mask: mask, label: entry.label)
        }
        let display = try read(entry.path) { try preprocessor.intensities(of: $0) }
        let mask = try mergedMask(entry, height: display.height, width: display.width)
        let (image, preparedMask) = preprocessor.prepare(display: display, mask: mask, laterality: entry.laterality)
        cache?.storeInBackground(key, image: image, mask: preparedMask)
        return Sample(imageId: entry.imageId, image: image, mask: preparedMask, label: entry.label)
    }

    /// The finished (normalised) model input of `entry` for scoring, with the geometry that maps predictions
    /// back onto the original image (and its pixel spacing). Never cached.
    public func finishedForScoring(_ entry: DatasetEntry) throws -> (image: FloatImage, geometry: PreparedGeometry) {
        let input = try scoringInput(entry)
        return (input.image, input.geometry)
    }

    /// ``finishedForScoring(_:)`` with the display image it started from (`[H, W, C]` in [0, 1], original size),
    /// for pictures drawn over the image.
    public func scoringInput(_ entry: DatasetEntry) throws -> (display: FloatImage, image: FloatImage, geometry: PreparedGeometry) {
        var spacing: [Double]?
        let display = try read(entry.path) { image -> FloatImage in
            spacing = image.metadata.pixelSpacingMillimeters
            return try preprocessor.intensities(of: image)
        }
        var (image, _, geometry) = preprocessor.prepareTracked(display: display, mask: nil, laterality: entry.laterality)
        geometry.spacingMillimeters = spacing.flatMap { $0.count == 2 && $0.allSatisfy { $0 > 0 } ? $0 : nil }
        return (display, preprocessor.finish(image), geometry)
    }

    /// The union of the entry's masks (non-zero is foreground) at `height` x `width`, nil when it has none; a mask
    /// of another size is an error naming both files.
    public func mergedMask(_ entry: DatasetEntry, height: Int, width: Int) throws -> FloatImage? {
        guard !entry.maskPaths.isEmpty else { return nil }
        var merged = FloatImage(height: height, width: width, channels: 1)
        for path in entry.maskPaths {
            let mask = try read(path) { image -> FloatImage in
                guard let pixels = image.pixels else { throw DataError(code: .unreadableImage, message: "no pixels", path: path) }
                return FloatImage(height: pixels.rows, width: pixels.columns, channels: pixels.samplesPerPixel,
                                  values: pixels.floatSamples(frame: 0))
            }
            guard mask.height == height, mask.width == width else {
                throw DataError(code: .maskMismatch,
                                message: "mask is \(mask.width)x\(mask.height) but its image \(entry.path) is \(width)x\(height)", path: path)
            }
            for p in 0..<(height * width) where mask.values[p * mask.channels] != 0 { merged.values[p] = 1 }
        }
        return merged
    }

    private func read<T>(_ path: String, _ body: (MedicalImage) throws -> T) throws -> T {
        do {
            return try body(try ImageFiles.read(path: path))
        } catch let error as ImageIOError {
            throw DataError(code: .unreadableImage, message: "cannot read the image: \(error.message)", path: path)
        } catch let error as ImageError {
            throw DataError(code: .unreadableImage, message: "cannot make the display image: \(error.message)", path: path)
        }
    }
}
