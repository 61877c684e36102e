import CohortCore
import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// A segmentation model and a classifier through `cohort pipeline`: masks written and scored, one report.
final class SegmentationPipelineTests: XCTestCase {
    /// 40 noisy 24x24 PNGs: `lesion/` with a bright square and its `_mask.png`, `normal/` with neither.
    private func writeImages(_ folder: TemporaryFolder) throws {
        var generator = SeededGenerator(seed: 13)
        for i in 0..<40 {
            let lesion = i % 2 == 0
            var bytes = (0..<576).map { _ in UInt8(generator.nextUnit() * 90) }, mask = [UInt8](repeating: 0, count: 576)
            let top = Int(generator.next() % 16), left = Int(generator.next() % 16)
            if lesion { for y in top..<(top + 7) { for x in left..<(left + 7) { bytes[y * 24 + x] = 210; mask[y * 24 + x] = 255 } } }
            let base = folder.file("data/\(lesion ? "lesion" : "normal")/\(i)")
            try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 24, columns: 24, samplesPerPixel: 1, bytes: bytes), to: base + ".png")
            if lesion { try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 24, columns: 24, samplesPerPixel: 1, bytes: mask), to: base + "_mask.png") }
        }
    }

    func testSegmentationAndClassifierShareOneReportWithMasksAndPictures() throws {
        let folder = try TemporaryFolder()
        try writeImages(folder)
        let experiment = """
            title: seg
            catalog: c/c.sqlite
            import: {paths: [data], labels_from_folders: finding, mask_suffix: _mask}
            labels: {derive_from: finding, task: abnormal, map: {lesion: abnormal, normal: clear}}
            split: {name: s, task: finding, ratios: [0.5, 0.25, 0.25], group: none, seed: 1}
            data: {size: [24, 24], intensity: window, window: [127.5, 256]}
            training: {epochs: 3, batch_size: 4, monitor: dice}
            models:
              - {name: seg, model: unet-small, learning_rate: 0.003}
              - {name: cnn, model: simple-cnn, monitor: loss, task: abnormal}
            score: {partition: test}
            report: {out: r, resamples: 20, positive: abnormal}
            """
        try Data(experiment.utf8).write(to: URL(fileURLWithPath: folder.file("e.yaml")))
        let result = try runCohort(["pipeline", "e.yaml", "--quiet"], in: folder.path)
        XCTAssertEqual(result.status, 0, result.out + result.err)
        let masks = try FileManager.default.contentsOfDirectory(atPath: folder.file("r/scores/seg-masks")).filter { $0.hasSuffix(".mask.png") }
        XCTAssertEqual(masks.count, 10, "one predicted mask per test image")
        let perImage = try String(contentsOfFile: folder.file("r/scores/seg.masks.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(perImage.first, "path,mask,reference_pixels,predicted_pixels,dice,iou,sensitivity,precision,hd95,asd,distance_unit")
        XCTAssertEqual(perImage.count, 11)
        let html = try String(contentsOfFile: folder.file("r/report.html"), encoding: .utf8)
        for expected in ["<h2>Segmentation</h2>", "best and worst cases (seg)", "Where cnn looked", "data:image/png;base64,", "seg: training run", "cnn: training run"] {
            XCTAssertTrue(html.contains(expected), "\(expected) missing from the report")
        }
        // Per-class rows (the split's task): each is the mean over that class's test images of the per-image Dice.
        let table = try String(contentsOfFile: folder.file("r/segmentation.csv"), encoding: .utf8).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let rows = Dictionary(table.filter { $0.first == "seg" }.map { ($0[1], $0) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(Set(rows.keys), ["with a lesion", "all", "finding: lesion", "finding: normal"])
        let images = perImage.dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        for finding in ["lesion", "normal"] {
            let dice = images.filter { $0[0].hasPrefix(finding + "/") }.map { Double($0[4])! }
            let row = try XCTUnwrap(rows["finding: \(finding)"])
            XCTAssertEqual(Int(row[2]), dice.count, finding)
            XCTAssertEqual(Double(row[3])!, dice.reduce(0, +) / Double(dice.count), accuracy: 0.0006, finding)
        }
        // The classifier learnt the derived task on the split's partitions, and was scored by it.
        let scores = try String(contentsOfFile: folder.file("r/scores/cnn.csv"), encoding: .utf8)
        XCTAssertTrue(scores.hasPrefix("path,label,p_abnormal,p_clear"), String(scores.prefix(80)))
        XCTAssertTrue(result.out.contains("Paired AUC comparison") || html.contains("Model comparison"), "seg and cnn are compared on the same images")
    }
}
