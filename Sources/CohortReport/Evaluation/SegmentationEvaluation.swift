import CohortMetrics
import Foundation

/// A picture for the report (an overlay rendered by the caller), embedded in the HTML and written as a file.
public struct Picture: Sendable {
    public var caption: String
    /// PNG file content.
    public var png: [UInt8]

    public init(caption: String, png: [UInt8]) { (self.caption, self.png) = (caption, png) }
}

/// A titled set of pictures (best and worst masks, Grad-CAM true and false positives...).
public struct Gallery: Sendable {
    public var title: String, note: String
    public var pictures: [Picture]

    public init(title: String, note: String = "", pictures: [Picture]) { (self.title, self.note, self.pictures) = (title, note, pictures) }
}

/// One segmentation model's per-image agreement with the reference masks, summarised with bootstrap intervals.
public struct SegmentationEvaluation: Sendable {
    public var name: String
    /// Per image: its id (path) and scores.
    public var images: [(id: String, scores: SegmentationScores)]
    /// Unit of HD95 and ASD (`mm`, `pixel`, or both when images differ).
    public var distanceUnit: String
    /// Summaries over images whose reference has a lesion, and over all images with a reference.
    public var lesionSummary: [MetricSummary], allSummary: [MetricSummary]
    /// Summaries per class (all images of the class with a reference), in the order of the classes' names.
    public var groupSummaries: [(title: String, summary: [MetricSummary])]

    /// `groups[i]`: the classes image i belongs to (e.g. "pathology: malignant", "mask label: mass"); none or
    /// empty lists give no per-class rows.
    public init(name: String, images: [(id: String, scores: SegmentationScores)], distanceUnit: String, resamples: Int, seed: UInt64,
                groups: [[String]] = []) {
        (self.name, self.images, self.distanceUnit) = (name, images, distanceUnit)
        lesionSummary = SegmentationMetrics.summarize(images.map(\.scores).filter { $0.referencePixels > 0 }, resamples: resamples, seed: seed)
        allSummary = SegmentationMetrics.summarize(images.map(\.scores), resamples: resamples, seed: seed)
        var members: [String: [SegmentationScores]] = [:]
        for (image, classes) in zip(images, groups) { for title in classes { members[title, default: []].append(image.scores) } }
        groupSummaries = members.keys.sorted().map { ($0, SegmentationMetrics.summarize(members[$0]!, resamples: resamples, seed: seed)) }
    }
}

extension EvaluationReport {
    /// One row per segmentation model and image set: each metric's mean with its 95% interval, and the median.
    public var segmentationTable: Table {
        let metrics = ["dice", "iou", "sensitivity", "precision", "hd95", "asd"]
        let header = ["model", "images", "n"] + metrics.flatMap { [$0, "\($0) 95% CI", "\($0) median"] } + ["distance unit"]
        var rows: [[Table.Cell]] = []
        for s in segmentations {
            for (title, summary) in [("with a lesion", s.lesionSummary), ("all", s.allSummary)] + s.groupSummaries {
                var row: [Table.Cell] = [.text(s.name), .text(title), .integer(summary.first?.defined ?? 0)]
                for name in metrics {
                    let m = summary.first { $0.name == name }
                    row += [.number(m?.mean ?? .nan, digits: 3),
                            .text(m?.interval.map { "\(Format.fixed($0.lower)) to \(Format.fixed($0.upper))" } ?? "n/a"),
                            .number(m?.median ?? .nan, digits: 3)]
                }
                rows.append(row + [.text(s.distanceUnit)])
            }
        }
        return Table(title: "Segmentation: per-image agreement with the reference masks (mean, 95% bootstrap CI, median)", header: header, rows: rows)
    }
}
