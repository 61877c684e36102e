import CohortCore
import CohortNN
import CohortTensor
import CohortTestSupport
import Foundation
import XCTest

final class CheckpointTests: XCTestCase {
    private func filled(_ model: Module) -> Module {
        for (k, entry) in model.state.enumerated() {
            let counter = entry.parameter.role == .batchCount
            for i in entry.parameter.value.data.indices { entry.parameter.value.data[i] = counter ? Float(k) : Float(sin(Double(i) + Double(k))) }
        }
        return model
    }

    func testARoundTripRestoresEveryTensorAndTheMetadata() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("model.safetensors")
        let model = filled(PaperModels.mammoCNN(channels: 1, height: 32, width: 32))
        try Checkpoint(model: model, metadata: ["architecture": "mammo-cnn", "classes": "benign,malignant"]).write(to: path)
        let copy = PaperModels.mammoCNN(channels: 1, height: 32, width: 32)
        let read = try Checkpoint.read(from: path)
        try read.load(into: copy, architecture: "mammo-cnn")
        XCTAssertEqual(copy.state.map(\.parameter.value), model.state.map(\.parameter.value))
        XCTAssertEqual(read.metadata["classes"], "benign,malignant")
        XCTAssertEqual(read.metadata["format_version"], Checkpoint.formatVersion)
        // Deterministic bytes: writing the same state twice gives the same file.
        try Checkpoint(model: model, metadata: ["architecture": "mammo-cnn", "classes": "benign,malignant"]).write(to: path + "2")
        XCTAssertEqual(FileManager.default.contents(atPath: path), FileManager.default.contents(atPath: path + "2"))
    }

    func testMismatchesAreNamed() throws {
        let folder = try TemporaryFolder()
        let path = folder.file("model.safetensors")
        try Checkpoint(model: filled(PaperModels.simpleCNN(channels: 3, height: 16, width: 16, classes: 3)), metadata: ["architecture": "simple-cnn"]).write(to: path)
        let checkpoint = try Checkpoint.read(from: path)
        XCTAssertThrowsError(try checkpoint.load(into: PaperModels.simpleCNN(channels: 3, height: 16, width: 16, classes: 2))) {
            XCTAssertTrue("\($0)".contains("classifier.5.weight is [3, 128] in the file but [2, 128] in the model"), "\($0)")
        }
        XCTAssertThrowsError(try checkpoint.load(into: PaperModels.paperCNN(channels: 3, height: 16, width: 16, classes: 2), architecture: "paper-cnn")) {
            XCTAssertTrue("\($0)".contains("'simple-cnn' model, not 'paper-cnn'"), "\($0)")
        }
        try Data("not a checkpoint".utf8).write(to: URL(fileURLWithPath: folder.file("bad.safetensors")))
        XCTAssertThrowsError(try Checkpoint.read(from: folder.file("bad.safetensors")))
    }

    func testTorchvisionStyleFilesWithInt64CountersLoad() throws {
        let folder = try TemporaryFolder()
        let model = filled(ResNet.make(depth: 18, channels: 3, classes: 4))
        try Checkpoint(model: model, metadata: [:]).write(to: folder.file("r.safetensors"))
        let bytes = try Data(contentsOf: URL(fileURLWithPath: folder.file("r.safetensors")))
        let headerLength = bytes.prefix(8).withUnsafeBytes { Int(UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self))) }
        let header = String(decoding: bytes.subdata(in: 8..<(8 + headerLength)), as: UTF8.self)
        XCTAssertTrue(header.contains("\"bn1.num_batches_tracked\":{\"data_offsets\""))
        XCTAssertTrue(header.contains("\"dtype\":\"I64\""))
        let copy = ResNet.make(depth: 18, channels: 3, classes: 4)
        try Checkpoint.read(from: folder.file("r.safetensors")).load(into: copy)
        XCTAssertEqual(copy.state.map(\.parameter.value), model.state.map(\.parameter.value))
    }
}

final class ModelZooTests: XCTestCase {
    func testEveryZooModelBuildsAndRunsOnASmallInput() throws {
        for name in ModelZoo.names {
            let channels = name == "mammo-cnn" || name == "unet" ? 1 : 3
            let model = try ModelZoo.make(name, channels: channels, height: 32, width: 32, classes: 3)
            let out = model.forward(Tensor(shape: [1, channels, 32, 32], repeating: 0.5), training: false)
            let expected = ModelZoo.segmenters.contains(name) ? [1, 3, 32, 32] : name == "mammo-cnn" ? [1, 1] : [1, 3]
            XCTAssertEqual(out.shape, expected, name)
        }
        XCTAssertThrowsError(try ModelZoo.make("vgg16", channels: 3, height: 32, width: 32, classes: 2))
    }

    /// Inference without recording gives the same outputs bit for bit; recording is back on afterwards (also after
    /// a throw), and a forward with recording can still be followed by a backward.
    func testForwardWithoutRecordingGivesTheSameOutputs() throws {
        InferenceFusion.isEnabled = false  // fused inference differs in rounding; InferenceFusionTests compares it
        defer { InferenceFusion.isEnabled = true }
        var generator = SeededGenerator(seed: 8)
        for name in ModelZoo.names {
            let channels = name == "mammo-cnn" || name == "unet" ? 1 : 3
            let model = try ModelZoo.make(name, channels: channels, height: 32, width: 32, classes: 3)
            WeightInitialization.kaimingUniform(model, seed: 3)
            let x = Tensor(shape: [2, channels, 32, 32], data: (0..<(2 * channels * 1024)).map { _ in Float(generator.nextUnit()) })
            let recorded = model.forward(x, training: false)
            let unrecorded = GradientRecording.withoutGradients { model.forward(x, training: false) }
            XCTAssertEqual(recorded.data, unrecorded.data, name)
        }
        struct Stop: Error {}
        XCTAssertThrowsError(try GradientRecording.withoutGradients { () throws -> Void in
            XCTAssertFalse(GradientRecording.isEnabled)
            throw Stop()
        })
        XCTAssertTrue(GradientRecording.isEnabled)
        let linear = Linear(4, 2)
        _ = GradientRecording.withoutGradients { linear.forward(Tensor(shape: [1, 4], repeating: 1), training: false) }
        _ = linear.forward(Tensor(shape: [1, 4], repeating: 1), training: true)
        XCTAssertEqual(linear.backward(Tensor(shape: [1, 2], repeating: 1)).shape, [1, 4])
    }

    func testFineTuningLoadsAllButAHeadOfAnotherClassCount() throws {
        let folder = try TemporaryFolder()
        let pretrained = ResNet.make(depth: 18, channels: 3, classes: 10)
        for entry in pretrained.state { for i in entry.parameter.value.data.indices { entry.parameter.value.data[i] = entry.parameter.role == .batchCount ? 1 : 0.01 } }
        try Checkpoint(model: pretrained, metadata: ["architecture": "resnet18"]).write(to: folder.file("p.safetensors"))
        let model = ResNet.make(depth: 18, channels: 3, classes: 3)
        let skipped = try Checkpoint.read(from: folder.file("p.safetensors")).loadForFineTuning(into: model)
        XCTAssertEqual(skipped, ["fc.weight", "fc.bias"])
        XCTAssertEqual(model.state.first { $0.name == "conv1.weight" }?.parameter.value.data.first, 0.01)
        XCTAssertThrowsError(try Checkpoint.read(from: folder.file("p.safetensors")).loadForFineTuning(into: ResNet.make(depth: 18, channels: 1, classes: 3)),
                             "a different input channel count is not a head difference")
    }
}
