import ArgumentParser
import CohortCatalog
import CohortData
import CohortMetrics
import CohortReport
import CohortTraining
import Foundation

/// `cohort score` options and outputs for segmentation checkpoints.
struct MaskScoringOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Segmentation: folder for the predicted mask PNGs (default: OUT without .csv, plus -masks).", valueName: "folder"))
    var masks: String?
    @Option(help: "Segmentation: lesion probability at or above which a pixel is lesion.") var maskThreshold: Float = 0.5
    @Flag(help: "Segmentation: write the lesion probability (0-255) instead of a binary mask (PNG, and for DICOM sources a FRACTIONAL, PROBABILITY DICOM Segmentation).") var probabilityMasks = false
    @Option(help: "Segmentation: the image's score from its mask: max (highest lesion probability) or area (lesion fraction).")
    var maskScore: MaskScore = .maximum

    func folder(out: String) -> String { masks ?? ((out as NSString).deletingPathExtension + "-masks") }

    func writer(out: String, scorer: Scorer, root: String?, catalog: Bool) throws -> PredictedMaskWriter {
        guard (0...1).contains(maskThreshold) else { throw ValidationError("--mask-threshold is a probability in [0, 1]") }
        let writer = try PredictedMaskWriter(folder: folder(out: out), threshold: maskThreshold, probability: probabilityMasks,
                                             preprocessing: scorer.preprocessing, root: root, emptyWhenMissing: catalog)
        writer.algorithm = [scorer.metadata["architecture"], scorer.metadata["run_name"]].compactMap { $0 }.joined(separator: " ")
        return writer
    }

    /// Image-level truth of a segmentation scoring: lesion when the image's reference mask has foreground,
    /// background when it is empty (in a catalog, an image without masks has an empty one), unlabelled without a
    /// reference (a folder of files).
    static func lesionTruth(_ scored: [ScoredImage], _ outcomes: [MaskOutcome]) -> ([ScoredImage], [String]) {
        var truth: [Int64: Int] = [:]
        for o in outcomes { if let s = o.scores { truth[o.entry.imageId] = s.referencePixels > 0 ? 1 : 0 } }
        let relabelled = scored.map { s -> ScoredImage in
            var copy = s
            copy.entry.label = truth[s.entry.imageId]
            return copy
        }
        return (relabelled, ["background", "lesion"])
    }

    /// Writes OUT.masks.csv, stores the outcomes with the scoring run, and prints the summary.
    func finish(_ writer: PredictedMaskWriter, out: String, catalog: (Catalog, Int64)?) throws {
        func f(_ v: Double?) -> String { v.map { String(format: "%.6f", $0) } ?? "" }
        var text = "path,mask,reference_pixels,predicted_pixels,dice,iou,sensitivity,precision,hd95,asd,distance_unit\n"
        for o in writer.outcomes.sorted(by: { $0.entry.path < $1.entry.path }) {
            let s = o.scores
            text += [Escaping.csvText(writer.shown(o.entry.path)), Escaping.csvText(o.maskFile), s.map { String($0.referencePixels) } ?? "",
                     String(o.predictedPixels), f(s?.dice), f(s?.iou), f(s?.sensitivity), f(s?.precision), f(s?.hausdorff95),
                     f(s?.averageSurfaceDistance), o.distanceUnit].joined(separator: ",") + "\n"
        }
        let csv = ScoreCSV.sibling(out, "masks")
        try text.write(toFile: csv, atomically: true, encoding: .utf8)
        if let (c, run) = catalog {
            try RunStore(catalog: c).storeMaskResults(run: run, writer.outcomes.map { o in
                MaskResultRecord(imageId: o.entry.imageId, maskPath: o.maskFile, predictedPixels: o.predictedPixels,
                                 referencePixels: o.scores?.referencePixels, dice: o.scores?.dice, iou: o.scores?.iou,
                                 sensitivity: o.scores?.sensitivity, precision: o.scores?.precision, hd95: o.scores?.hausdorff95,
                                 asd: o.scores?.averageSurfaceDistance, distanceUnit: o.distanceUnit)
            })
        }
        let segmentations = writer.outcomes.filter { $0.segmentationFile != nil }.count
        print("wrote \(writer.outcomes.count) predicted mask(s)\(segmentations > 0 ? " and \(segmentations) DICOM Segmentation(s)" : "") to \(writer.folder)/ and per-image agreement to \(csv)")
        let referenced = writer.outcomes.compactMap(\.scores)
        guard !referenced.isEmpty else { print("no reference masks to compare with (score a catalog split with --split to compare with its masks)"); return }
        let withLesion = referenced.filter { $0.referencePixels > 0 }
        let units = Set(writer.outcomes.map(\.distanceUnit)).sorted().joined(separator: "/")
        for (title, group) in [("images with a lesion", withLesion), ("all images with a reference", referenced)] where !group.isEmpty {
            print("\(title) (\(group.count)):")
            for m in SegmentationMetrics.summarize(group, resamples: 1000) {
                guard let mean = m.mean else { print("  \(m.name): undefined for all"); continue }
                let ci = m.interval.map { String(format: " [%.3f, %.3f]", $0.lower, $0.upper) } ?? ""
                let unit = m.name == "hd95" || m.name == "asd" ? " " + units : ""
                let name = m.name.padding(toLength: 12, withPad: " ", startingAt: 0)
                print("  \(name)mean " + String(format: "%.3f", mean) + ci + " median " + String(format: "%.3f", m.median ?? .nan) + unit
                      + (m.undefined > 0 ? " (\(m.undefined) undefined)" : ""))
            }
        }
    }
}

extension MaskScore: ExpressibleByArgument {}
