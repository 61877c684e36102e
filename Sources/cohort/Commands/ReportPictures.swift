import CohortCatalog
import CohortCore
import CohortData
import CohortImageIO
import CohortReport
import CohortTraining
import Foundation

/// The report's pictures, rendered from the catalog's images: segmentation best and worst cases (image with the
/// reference outline in green and the prediction in red) and Grad-CAM galleries of a classifier's decisions.
enum ReportPictures {
    /// PNG bytes of `pixels` (written through a temporary file: libpng writes files).
    static func png(_ pixels: PixelArray) throws -> [UInt8] {
        let path = NSTemporaryDirectory() + "/cohort-picture-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString).png"
        defer { try? FileManager.default.removeItem(atPath: path) }
        try PNGWriter.write(pixels, to: path)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// Pictures are at most this many pixels on their longer side (a full mammogram per picture would make the
    /// page tens of megabytes).
    static let largestSide = 480

    /// `image` scaled down to ``largestSide`` (bilinear, or nearest for masks); smaller images unchanged.
    static func fitted(_ image: FloatImage, nearest: Bool = false) -> FloatImage {
        let side = max(image.height, image.width)
        guard side > largestSide else { return image }
        let scale = Double(largestSide) / Double(side)
        return Resampling.resize(image, height: max(1, Int((Double(image.height) * scale).rounded())),
                                 width: max(1, Int((Double(image.width) * scale).rounded())), interpolation: nearest ? .nearest : .bilinear)
    }

    /// A row-major mask as a one-channel image of `like`'s size.
    static func image(_ mask: [Bool], like: FloatImage) -> FloatImage {
        FloatImage(height: like.height, width: like.width, channels: 1, values: mask.map { $0 ? 1 : 0 })
    }

    /// The display image of `path` as gray `[H, W, 1]` in [0, 1] (the file's own VOI, or its range).
    static func display(_ path: String) throws -> FloatImage {
        Normalizer.toGray(try Preprocessor(Preprocessing()).intensities(of: try ImageFiles.read(path: path)))
    }

    /// The `count` best and `count` worst images with a lesion of segmentation scoring run `run`.
    static func maskGallery(catalog: Catalog, run: RunRecord, name: String, count: Int) throws -> Gallery? {
        guard count > 0, let folder = run.settings["mask_folder"] else { return nil }
        let rows = try RunStore(catalog: catalog).maskResults(run: run.id).filter { ($0.result.referencePixels ?? 0) > 0 }
        let ranked = rows.sorted { ($0.result.dice ?? 0, $1.path) > ($1.result.dice ?? 0, $0.path) }
        let chosen = Array(ranked.prefix(count)).map { ("best", $0) } + Array(ranked.suffix(min(count, max(ranked.count - count, 0)))).map { ("worst", $0) }
        var pictures: [Picture] = []
        for (kind, row) in chosen {
            guard let maskFile = row.result.maskPath else { continue }
            let entry = try CatalogDataset.single(catalog: catalog, imageId: row.result.imageId, task: nil).entries[0]
            let gray = try display(entry.path)
            let truth = try SampleProvider(preprocessing: Preprocessing(), cache: nil).mergedMask(entry, height: gray.height, width: gray.width)
            guard let predicted = try ImageFiles.read(path: folder + "/" + maskFile).pixels, predicted.rows == gray.height, predicted.columns == gray.width else { continue }
            let small = fitted(gray)
            let truthMask = truth.map { fitted($0, nearest: true).values.map { $0 > 0.5 } }
            let predictedMask = fitted(image(predicted.floatSamples(frame: 0).map { $0 >= 128 }, like: gray), nearest: true).values.map { $0 > 0.5 }
            let overlay = Overlay.outlines(small, truth: truthMask, predicted: predictedMask)
            pictures.append(Picture(caption: "\(kind): \(row.path), Dice \(String(format: "%.3f", row.result.dice ?? .nan))", png: try png(overlay)))
        }
        return pictures.isEmpty ? nil : Gallery(title: "Segmentation: best and worst cases (\(name))",
                                                note: "Reference outline in green, prediction in red, from the masks written by cohort score (\(folder)).",
                                                pictures: pictures)
    }

    /// Grad-CAM pictures of a classifier scoring run: for two classes the most confident true positives, false
    /// positives and false negatives; otherwise the most confident correct and wrong decisions.
    static func explanationGallery(catalog: Catalog, run: RunRecord, name: String, count: Int, positive: String?) throws -> Gallery? {
        guard count > 0, run.settings["training_task_output"] != "segmentation", let checkpoint = run.settings["checkpoint"],
              FileManager.default.fileExists(atPath: checkpoint) else { return nil }
        let explainer = try Explainer(checkpoint: checkpoint)
        let classes = explainer.scorer.classes
        let rows = try RunStore(catalog: catalog).predictions(run: run.id).compactMap { row -> (imageId: Int64, path: String, truth: Int, scores: [Double])? in
            guard let label = row.label, let truth = classes.firstIndex(of: label), row.scores.count == classes.count else { return nil }
            return (row.imageId, row.path, truth, row.scores)
        }
        func predicted(_ s: [Double]) -> Int { s.indices.max { s[$0] < s[$1] } ?? 0 }
        var groups: [(String, [(imageId: Int64, path: String, truth: Int, scores: [Double])])]
        if classes.count == 2 {
            // The report's positive class (default: the second, as in the evaluation).
            let p = positive.flatMap { classes.firstIndex(of: $0) } ?? 1
            let byScore = rows.sorted { ($0.scores[p], $1.path) > ($1.scores[p], $0.path) }
            groups = [("true positive", byScore.filter { $0.truth == p && predicted($0.scores) == p }),
                      ("false positive", byScore.filter { $0.truth != p && predicted($0.scores) == p }),
                      ("false negative", byScore.reversed().filter { $0.truth == p && predicted($0.scores) != p })]
        } else {
            let byConfidence = rows.sorted { ($0.scores.max() ?? 0, $1.path) > ($1.scores.max() ?? 0, $0.path) }
            groups = [("correct", byConfidence.filter { predicted($0.scores) == $0.truth }), ("wrong", byConfidence.filter { predicted($0.scores) != $0.truth })]
        }
        var pictures: [Picture] = []
        for (kind, members) in groups {
            for row in members.prefix(count) {
                let entry = try CatalogDataset.single(catalog: catalog, imageId: row.imageId, task: nil).entries[0]
                let e = try explainer.explain(entry)
                let caption = "\(kind): \(row.path), truth \(classes[row.truth]), predicted \(e.className) \(String(format: "%.3f", e.probability))"
                pictures.append(Picture(caption: caption, png: try png(Overlay.heatmap(fitted(e.display), fitted(e.heat)))))
            }
        }
        return pictures.isEmpty ? nil : Gallery(title: "Where \(name) looked (\(explainer.gradCAM.method.rawValue) at \(explainer.gradCAM.layer))",
                                                note: "Heat maps of the predicted class's evidence over the original images, from \(checkpoint).",
                                                pictures: pictures)
    }
}
