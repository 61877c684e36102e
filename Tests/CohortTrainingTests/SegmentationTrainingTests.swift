import CohortCatalog
import CohortCore
import CohortData
import CohortImageIO
import CohortMetrics
import CohortNN
import CohortTestSupport
import CohortTraining
import Foundation
import XCTest

/// Segmentation end to end on synthetic data: a bright square is the lesion.
final class SegmentationTrainingTests: XCTestCase {
    /// 48 noisy 16x16 PNGs: `lesion/` images with a bright 5x5 to 7x7 square and its `_mask.png`, `normal/`
    /// images with neither (no mask file: an empty mask).
    private func syntheticCatalog(_ folder: TemporaryFolder) throws -> Catalog {
        var generator = SeededGenerator(seed: 9)
        for i in 0..<48 {
            let lesion = i % 4 != 0
            var bytes = (0..<256).map { _ in UInt8(generator.nextUnit() * 90) }
            var mask = [UInt8](repeating: 0, count: 256)
            if lesion {
                let size = 5 + Int(generator.next() % 3), top = Int(generator.next() % UInt64(16 - size)), left = Int(generator.next() % UInt64(16 - size))
                for y in top..<(top + size) { for x in left..<(left + size) { bytes[y * 16 + x] = 170 + UInt8(generator.nextUnit() * 60); mask[y * 16 + x] = 255 } }
            }
            let base = folder.file("data/\(lesion ? "lesion" : "normal")/\(i)")
            try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 16, columns: 16, samplesPerPixel: 1, bytes: bytes), to: base + ".png")
            if lesion { try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 16, columns: 16, samplesPerPixel: 1, bytes: mask), to: base + "_mask.png") }
        }
        return try FolderCatalog.make(folder, task: "finding", seed: 2) { catalog in
            XCTAssertEqual(try MaskAttacher(catalog: catalog).attach(suffix: "_mask").attached, 36)
        }
    }

    private func configuration(_ name: String) -> (TrainingConfiguration, DataSettings) {
        var c = TrainingConfiguration()
        (c.name, c.model, c.epochs, c.batchSize, c.learningRate, c.seed, c.monitor) = (name, "unet-small", 8, 4, 3e-3, 4, "dice")
        var data = DataSettings()
        (data.preprocessing.height, data.preprocessing.width, data.preprocessing.intensity) = (16, 16, .minMax)
        data.augmentation.horizontalFlip = 0.5
        return (c, data)
    }

    func testUNetLearnsTheMasksRecordsDiceAndScoresMasksBackOntoTheImages() throws {
        let folder = try TemporaryFolder()
        let catalog = try syntheticCatalog(folder)
        let (c, data) = configuration("seg")
        let summary = try Trainer(catalog: catalog, configuration: c, data: data, folder: folder.file("runs/seg")).run()
        let history = try RunStore(catalog: catalog).history(run: summary.runId)
        XCTAssertEqual(history.count, 16)
        let first = try XCTUnwrap(history.first { $0.phase == "validation" }?.dice)
        let best = try XCTUnwrap(summary.best?.dice)
        XCTAssertGreaterThan(best, 0.6, "validation Dice at the best epoch (first epoch: \(first))")
        XCTAssertGreaterThan(best, first)
        XCTAssertTrue(try String(contentsOfFile: folder.file("runs/seg/history.csv"), encoding: .utf8).hasPrefix("epoch,phase,loss,accuracy,precision,recall,f1,auc,learning_rate,seconds,dice,iou"))

        let scorer = try Scorer(checkpoint: summary.bestCheckpoint)
        XCTAssertTrue(scorer.isSegmentation)
        let test = try CatalogDataset.load(catalog: catalog, split: "main", partition: "test")
        let writer = try PredictedMaskWriter(folder: folder.file("masks"), preprocessing: scorer.preprocessing, root: folder.file("data"))
        let (scored, failures) = scorer.score(test.entries, batchSize: 4, onMask: { try writer.handle($0, $1) })
        XCTAssertTrue(failures.isEmpty, "\(failures)")
        XCTAssertEqual(scored.count, test.entries.count)
        XCTAssertEqual(writer.outcomes.count, test.entries.count)
        // Masks are written at the image's own size and read back as what was scored.
        let outcome = try XCTUnwrap(writer.outcomes.first { !$0.entry.maskPaths.isEmpty })
        let written = try XCTUnwrap(try ImageFiles.read(path: folder.file("masks/" + outcome.maskFile)).pixels)
        XCTAssertEqual([written.rows, written.columns], [16, 16])
        XCTAssertEqual(written.bytes.filter { $0 == 255 }.count, outcome.predictedPixels)
        let lesionDice = writer.outcomes.filter { !$0.entry.maskPaths.isEmpty }.compactMap { $0.scores?.dice }
        XCTAssertGreaterThan(lesionDice.reduce(0, +) / Double(lesionDice.count), 0.5, "test Dice on lesion images")
        // The image score from the mask separates lesion images from normal ones.
        let labels = scored.map { $0.entry.maskPaths.isEmpty ? 0 : 1 }
        XCTAssertGreaterThan(try XCTUnwrap(ROC.auc(labels: labels, scores: scored.map { $0.probabilities[1] })), 0.8)
    }

    func testPreparedGeometryRestoresAMaskThroughCropFlipAndPadding() {
        var settings = Preprocessing()
        (settings.height, settings.width, settings.resize, settings.orientation, settings.cropToForeground) = (32, 32, .pad, .laterality, true)
        let preprocessor = Preprocessor(settings)
        // A 40x60 image with a bright band (the foreground) and a mask square inside it.
        var image = FloatImage(height: 40, width: 60, channels: 1)
        var mask = FloatImage(height: 40, width: 60, channels: 1)
        for y in 5..<35 { for x in 10..<50 { image.values[y * 60 + x] = 0.8 } }
        for y in 12..<24 { for x in 14..<30 { mask.values[y * 60 + x] = 1 } }
        let (_, prepared, geometry) = preprocessor.prepareTracked(display: image, mask: mask, laterality: "R")
        XCTAssertTrue(geometry.flipped)
        XCTAssertEqual([geometry.cropTop, geometry.cropLeft, geometry.cropHeight, geometry.cropWidth], [5, 10, 30, 40])
        let restored = geometry.restore(try! XCTUnwrap(prepared))
        XCTAssertEqual([restored.height, restored.width], [40, 60])
        let scores = SegmentationMetrics.scores(reference: mask.values.map { $0 > 0.5 }, predicted: restored.values.map { $0 >= 0.5 },
                                                height: 40, width: 60)
        XCTAssertGreaterThan(scores.dice, 0.9, "the restored mask lies where the original was")
        XCTAssertLessThanOrEqual(scores.hausdorff95!, 1.5)
    }

    func testProbabilityMaskBytesAreTheClampedProbabilityTimes255() {
        let p: [Float] = [-0.3, 0, 0.001, 0.002, 0.5, 0.998, 1, 1.7]
        XCTAssertEqual(PredictedMaskWriter.probabilityBytes(p), p.map { UInt8((min(max($0, 0), 1) * 255).rounded()) })
        XCTAssertEqual(PredictedMaskWriter.probabilityBytes(p), [0, 0, 0, 1, 128, 254, 255, 255], "probability times 255, clamped")
    }
}
