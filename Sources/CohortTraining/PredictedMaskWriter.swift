import CohortCatalog
import CohortCore
import CohortData
import CohortImageIO
import CohortMetrics
import Foundation

/// What scoring one image with a segmentation model gave: the mask file written and, when the catalog holds a
/// reference mask, the agreement with it.
public struct MaskOutcome: Sendable {
    public var entry: DatasetEntry
    /// The predicted mask's file, relative to the mask folder.
    public var maskFile: String
    /// The DICOM Segmentation written for a DICOM source, relative to the mask folder (nil for PNG and TIFF).
    public var segmentationFile: String?
    public var predictedPixels: Int
    /// Agreement with the merged reference masks (nil when the image has none in the catalog).
    public var scores: SegmentationScores?
    /// Unit of HD95 and ASD: `mm` when the image's header gives its pixel spacing, else `pixel`.
    public var distanceUnit: String
}

/// Writes predicted masks as 8-bit PNG (binary 0/255 at a threshold, or the lesion probability times 255) into
/// one folder, named after the image's path, and scores each against the image's reference masks.
public final class PredictedMaskWriter {
    public let folder: String
    public let threshold: Float
    public let probability: Bool
    let provider: SampleProvider
    let root: String?
    /// Whether an image without masks has an empty reference (catalog scoring: no mask means no lesion, as in
    /// training) rather than none (a folder of files).
    public let emptyWhenMissing: Bool
    /// The algorithm name recorded in DICOM Segmentations (the model and its run).
    public var algorithm = "Cohort"
    /// Every image's outcome, in scoring order.
    public private(set) var outcomes: [MaskOutcome] = []

    /// `root` is the folder image paths are shown relative to (the import root or the scored folder).
    public init(folder: String, threshold: Float = 0.5, probability: Bool = false, preprocessing: Preprocessing, root: String?,
                emptyWhenMissing: Bool = true) throws {
        (self.folder, self.threshold, self.probability, self.root, self.emptyWhenMissing) = (folder, threshold, probability, root, emptyWhenMissing)
        provider = SampleProvider(preprocessing: preprocessing, cache: nil)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
    }

    /// The file name of an image's mask: its path below `root` with `/` as `__`, extension `.mask.png`.
    public func fileName(for path: String) -> String {
        let stem = (shown(path) as NSString).deletingPathExtension
        return stem.replacingOccurrences(of: "/", with: "__") + ".mask.png"
    }

    /// Lesion probabilities as the bytes of a probability mask (PNG and fractional DICOM Segmentation alike): clamped
    /// to [0, 1], times 255, rounded.
    public static func probabilityBytes(_ probabilities: [Float]) -> [UInt8] {
        probabilities.map { UInt8((min(max($0, 0), 1) * 255).rounded()) }
    }

    /// Writes `mask` for `scored` and scores it; returns the outcome (also kept in ``outcomes``).
    @discardableResult
    public func handle(_ scored: ScoredImage, _ mask: PredictedMask) throws -> MaskOutcome {
        let (h, w) = (mask.probability.height, mask.probability.width)
        let binary = mask.binary(threshold: threshold)
        let bytes = probability ? Self.probabilityBytes(mask.probability.values) : binary.map { $0 ? 255 : 0 }
        let name = fileName(for: scored.entry.path)
        let target = folder + "/" + name, partial = target + ".partial"
        try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: h, columns: w, samplesPerPixel: 1, bytes: bytes), to: partial)
        guard rename(partial, target) == 0 else {
            throw TrainingError(message: "cannot move the mask into place: \(String(cString: strerror(errno)))", path: target)
        }
        var outcome = MaskOutcome(entry: scored.entry, maskFile: name, segmentationFile: nil, predictedPixels: binary.filter { $0 }.count,
                                  scores: nil, distanceUnit: mask.geometry.spacingMillimeters == nil ? "pixel" : "mm")
        if ImageFiles.detectFormat(path: scored.entry.path) == .dicom {
            let segmentation = String(name.dropLast(".mask.png".count)) + ".seg.dcm"
            if probability {
                try DicomSegmentationWriter.writeProbability(source: scored.entry.path, probability: bytes, rows: h, columns: w,
                                                             algorithm: algorithm, to: folder + "/" + segmentation)
            } else {
                try DicomSegmentationWriter.writeBinary(source: scored.entry.path, mask: binary, rows: h, columns: w,
                                                        algorithm: algorithm, to: folder + "/" + segmentation)
            }
            outcome.segmentationFile = segmentation
        }
        let missing = emptyWhenMissing ? FloatImage(height: h, width: w, channels: 1) : nil
        if let reference = try provider.mergedMask(scored.entry, height: h, width: w) ?? missing {
            let spacing = mask.geometry.spacingMillimeters.map { ($0[0], $0[1]) } ?? (1, 1)
            outcome.scores = SegmentationMetrics.scores(reference: reference.values.map { $0 > 0.5 }, predicted: binary, height: h, width: w,
                                                        spacing: spacing)
        }
        outcomes.append(outcome)
        return outcome
    }

    /// `path` below the root (as shown in outputs).
    public func shown(_ path: String) -> String {
        if let root, path.hasPrefix(root + "/") { return String(path.dropFirst(root.count + 1)) }
        return path
    }
}
