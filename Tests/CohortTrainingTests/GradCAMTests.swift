import CohortCatalog
import CohortCore
import CohortData
import CohortImageIO
import CohortNN
import CohortTensor
import CohortTestSupport
import CohortTraining
import Foundation
import XCTest

/// Grad-CAM on a task where only a bright square decides the class.
final class GradCAMTests: XCTestCase {
    /// 80 noisy 32x32 PNGs: `square/` ones hold a bright 8x8 square somewhere (its box returned), `plain/` ones not.
    private func syntheticCatalog(_ folder: TemporaryFolder) throws -> (Catalog, [String: (top: Int, left: Int)]) {
        var generator = SeededGenerator(seed: 21)
        var boxes: [String: (top: Int, left: Int)] = [:]
        for i in 0..<80 {
            let square = i % 2 == 0
            var bytes = (0..<1024).map { _ in UInt8(generator.nextUnit() * 110) }
            let path = folder.file("data/\(square ? "square" : "plain")/\(i).png")
            if square {
                let top = Int(generator.next() % 25), left = Int(generator.next() % 25)
                for y in top..<(top + 8) { for x in left..<(left + 8) { bytes[y * 32 + x] = 200 + UInt8(generator.nextUnit() * 55) } }
                boxes[URL(fileURLWithPath: path).standardizedFileURL.path] = (top, left)
            }
            try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 32, columns: 32, samplesPerPixel: 1, bytes: bytes), to: path)
        }
        return (try FolderCatalog.make(folder, task: "kind", seed: 3), boxes)
    }

    func testTheHeatMapPeakFallsInsideTheSquareThatDecidesTheClass() throws {
        let folder = try TemporaryFolder()
        let (catalog, boxes) = try syntheticCatalog(folder)
        var c = TrainingConfiguration()
        (c.name, c.model, c.epochs, c.batchSize, c.learningRate, c.seed) = ("cam", "simple-cnn", 6, 8, 1e-3, 5)
        var data = DataSettings()
        // Fixed intensities: a per-image min-max would let the background brightness give the class away.
        (data.preprocessing.height, data.preprocessing.width, data.preprocessing.intensity) = (32, 32, .window(center: 127.5, width: 256))
        let summary = try Trainer(catalog: catalog, configuration: c, data: data, folder: folder.file("runs/cam")).run()
        XCTAssertGreaterThan(summary.best?.accuracy ?? 0, 0.85, "the classifier must have learnt the task first")

        let test = try CatalogDataset.load(catalog: catalog, split: "main", partition: "test")
        for method in [GradCAM.Method.automatic, .gradCAM] {
            let explainer = try Explainer(checkpoint: summary.bestCheckpoint, method: method)
            XCTAssertEqual(explainer.gradCAM.layer, "features", "the default target is the last convolutional block")
            if method == .automatic { XCTAssertEqual(explainer.gradCAM.method, .hiResCAM, "a fully connected head reads the maps") }
            var inside = 0, explained = 0
            for entry in test.entries {
                guard let box = boxes[entry.path] else { continue }
                let e = try explainer.explain(entry, className: "square")
                XCTAssertEqual([e.heat.height, e.heat.width], [32, 32])
                let peak = e.heat.values.indices.max { e.heat.values[$0] < e.heat.values[$1] }!
                let (y, x) = (peak / 32, peak % 32)
                if (box.top..<(box.top + 8)).contains(y) && (box.left..<(box.left + 8)).contains(x) { inside += 1 }
                explained += 1
            }
            XCTAssertGreaterThan(explained, 4)
            XCTAssertGreaterThanOrEqual(Double(inside) / Double(explained), 0.8, "\(method): \(inside) of \(explained) peaks inside the square")
        }
    }

    func testAfterGlobalPoolingGradCAMAndHiResCAMGiveTheSameMap() throws {
        let model = Sequential(named: [("features", Sequential([Conv2d(1, 6, kernel: 3, padding: 1), ReLU()])), ("pool", GlobalAveragePool()),
                                       ("flatten", Flatten()), ("fc", Linear(6, 3))])
        WeightInitialization.kaimingUniform(model, seed: 8)
        var generator = SeededGenerator(seed: 1)
        let x = Tensor(shape: [2, 1, 12, 12], data: (0..<288).map { _ in Float(generator.nextUnit()) })
        let automatic = try GradCAM(model: model, layer: nil, input: x)
        XCTAssertEqual(automatic.method, .gradCAM)
        let a = automatic.heatmaps(x, classes: [2, 0]).maps
        let b = try GradCAM(model: model, layer: "features", input: x, method: .hiResCAM).heatmaps(x, classes: [2, 0]).maps
        for (p, q) in zip(a, b) { for (u, v) in zip(p.values, q.values) { XCTAssertEqual(u, v, accuracy: 1e-5) } }
        XCTAssertTrue(model.parameters.allSatisfy { $0.gradient.data.allSatisfy { $0 == 0 } }, "explaining leaves no gradients behind")
    }

    func testAnUnknownLayerIsAnErrorListingTheLayers() throws {
        let model = PaperModels.simpleCNN(channels: 1, height: 16, width: 16, classes: 2)
        XCTAssertThrowsError(try GradCAM(model: model, layer: "layer9", input: Tensor(shape: [1, 1, 16, 16]))) { error in
            XCTAssertTrue("\(error)".contains("features, classifier"), "\(error)")
        }
        XCTAssertEqual(try GradCAM(model: model, layer: "features.3", input: Tensor(shape: [1, 1, 16, 16])).layer, "features.3")
    }
}
