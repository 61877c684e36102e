import CohortCatalog
import CohortCore
import CohortData
import CohortImageIO
import CohortNN
import CohortTestSupport
import CohortTraining
import Foundation
import XCTest

final class TrainerTests: XCTestCase {
    /// 60 synthetic 16x16 PNGs in two class folders: a bright square on the left (`left`) or right (`right`).
    private func syntheticCatalog(_ folder: TemporaryFolder) throws -> Catalog {
        var generator = SeededGenerator(seed: 5)
        for i in 0..<60 {
            let label = i % 2 == 0 ? "left" : "right"
            var bytes = (0..<256).map { _ in UInt8(generator.nextUnit() * 60) }
            let left = label == "left" ? 1 : 9, top = 2 + Int(generator.next() % 9)
            for y in top..<(top + 5) { for x in left..<(left + 5) { bytes[y * 16 + x] = 230 } }
            try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 16, columns: 16, samplesPerPixel: 1, bytes: bytes),
                                to: folder.file("data/\(label)/\(i).png"))
        }
        return try FolderCatalog.make(folder, task: "side", seed: 1)
    }

    private func settings() -> DataSettings {
        var data = DataSettings()
        data.preprocessing.height = 16
        data.preprocessing.width = 16
        data.preprocessing.intensity = .minMax
        data.augmentation.horizontalFlip = 0  // flips would swap the classes
        data.augmentation.brightness = 0.05
        return data
    }

    private func configuration(epochs: Int, name: String) -> TrainingConfiguration {
        var c = TrainingConfiguration()
        c.name = name
        c.model = "simple-cnn"
        c.epochs = epochs
        c.batchSize = 8
        c.learningRate = 2e-3
        c.seed = 3
        return c
    }

    func testTrainingLearnsRecordsHistoryAndKeepsTheBestCheckpoint() throws {
        let folder = try TemporaryFolder()
        let catalog = try syntheticCatalog(folder)
        let summary = try Trainer(catalog: catalog, configuration: configuration(epochs: 6, name: "a"), data: settings(),
                                  folder: folder.file("runs/a")).run()
        XCTAssertEqual(summary.epochsRun, 6)
        let history = try RunStore(catalog: catalog).history(run: summary.runId)
        XCTAssertEqual(history.count, 12, "train and validation rows for every epoch")
        XCTAssertGreaterThan(summary.best?.accuracy ?? 0, 0.9, "validation accuracy at the best epoch")
        XCTAssertTrue(FileManager.default.fileExists(atPath: summary.bestCheckpoint))
        let csv = try String(contentsOfFile: folder.file("runs/a/history.csv"), encoding: .utf8)
        XCTAssertTrue(csv.hasPrefix("epoch,phase,loss,accuracy"))
        XCTAssertEqual(try Checkpoint.read(from: summary.lastCheckpoint).metadata["architecture"], "simple-cnn")
    }

    func testResumingGivesTheWeightsOfAnUninterruptedRun() throws {
        let folder = try TemporaryFolder()
        let catalog = try syntheticCatalog(folder)
        _ = try Trainer(catalog: catalog, configuration: configuration(epochs: 4, name: "full"), data: settings(), folder: folder.file("runs/full")).run()
        // The same run stopped after 2 epochs, then resumed to 4.
        _ = try Trainer(catalog: catalog, configuration: configuration(epochs: 2, name: "cut"), data: settings(), folder: folder.file("runs/cut")).run()
        _ = try Trainer(catalog: catalog, configuration: configuration(epochs: 4, name: "cut"), data: settings(), folder: folder.file("runs/cut")).run(resume: true)
        let full = try Checkpoint.read(from: folder.file("runs/full/last.safetensors")).tensors
        let cut = try Checkpoint.read(from: folder.file("runs/cut/last.safetensors")).tensors
        XCTAssertEqual(full.keys.sorted(), cut.keys.sorted())
        for key in full.keys { XCTAssertEqual(full[key], cut[key], "\(key) differs after resuming") }
    }
}
