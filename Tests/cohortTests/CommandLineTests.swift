import CohortCore
import CohortImageIO
import CohortNN
import CohortTestSupport
import Foundation
import XCTest

/// End-to-end: the built `cohort` binary on fixtures, checking output and exit codes.
final class CommandLineTests: XCTestCase {
    private func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, out: String, err: String) {
        try runCohort(arguments, environment: environment)
    }

    func testInspectPrintsOneLinePerFileAndSucceedsOnGoodFiles() throws {
        let result = try run(["inspect", TestPaths.fixture("dicom"), TestPaths.fixture("png"), TestPaths.fixture("tiff")])
        XCTAssertEqual(result.status, 0, result.err)
        let lines = result.out.split(separator: "\n")
        XCTAssertEqual(lines.count, 15)  // 11 DICOM, 2 PNG, 2 TIFF
        XCTAssertTrue(lines.contains { $0.contains("MG_u16s12_64x48_MONOCHROME1_RLE.dcm") && $0.contains("view=MLO") })
    }

    func testInspectReportsEveryFailureThenExitsNonZero() throws {
        let result = try run(["inspect", TestPaths.fixture("bad/truncated.png"), TestPaths.fixture("png/US_u8_32x24_rgb.png"),
                              TestPaths.fixture("bad/not_an_image.dcm")])
        XCTAssertEqual(result.status, 1)
        XCTAssertEqual(result.out.split(separator: "\n").count, 1)
        XCTAssertTrue(result.err.contains("truncated.png"))
        XCTAssertTrue(result.err.contains("not_an_image.dcm"))
        XCTAssertTrue(result.err.contains("2 of 3 file(s) failed"))
    }

    func testPixelDigestIsTheSameForEveryEncodingAndMatchesJSONShape() throws {
        let a = try run(["inspect", "--pixels-sha256", TestPaths.fixture("dicom/OT_u8_32x32_3frames_RLE.dcm")])
        let b = try run(["inspect", "--pixels-sha256", TestPaths.fixture("dicom/OT_u8_32x32_3frames_explicitLE.dcm")])
        XCTAssertEqual(a.out.prefix(64), b.out.prefix(64))
        let json = try run(["inspect", "--json", TestPaths.fixture("dicom/OT_u8_32x32_3frames_RLE.dcm")])
        let object = try JSONSerialization.jsonObject(with: Data(json.out.utf8)) as? [String: Any]
        let pixels = object?["pixels"] as? [String: Any]
        XCTAssertEqual(pixels?["shape"] as? [Int], [3, 32, 32])
        XCTAssertEqual(pixels?["dtype"] as? String, "uint8")
    }

    func testConvertWritesStoredAndDisplayImagesThatReadBack() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME1_RLE.dcm")
        let stored = folder.appendingPathComponent("stored.tif").path
        XCTAssertEqual(try run(["convert", "--stored", source, stored]).status, 0)
        let original = try run(["inspect", "--pixels-sha256", source]).out.prefix(64)
        XCTAssertEqual(try run(["inspect", "--pixels-sha256", stored]).out.prefix(64), original)
        let shown = folder.appendingPathComponent("display.png").path
        XCTAssertEqual(try run(["convert", source, shown, "--window", "2048,4096", "--bits", "16"]).status, 0)
        XCTAssertTrue(try run(["inspect", shown]).out.contains("16/16-bit"))
        let bad = try run(["convert", source, folder.appendingPathComponent("x.jpg").path])
        XCTAssertNotEqual(bad.status, 0)
        XCTAssertTrue(bad.err.contains(".png, .tif or .tiff"))
    }

    func testVersionIsPrinted() throws {
        let version = try run(["--version"])
        XCTAssertEqual(version.status, 0, version.err)
        XCTAssertEqual(version.out.trimmingCharacters(in: .whitespacesAndNewlines), CohortVersion.string)
    }

    func testHelpTeachesWithExamples() throws {
        let result = try run(["inspect", "--help"])
        XCTAssertEqual(result.status, 0)
        XCTAssertTrue(result.out.contains("--pixels-sha256"))
        XCTAssertTrue(result.out.contains("Examples:"))
    }

    func testImportLabelsMasksStatsShowAndFailuresWorkTogether() throws {
        let folder = try TemporaryFolder()
        for (name, source) in [("benign/x.png", "png/MG_u16_64x48_gray.png"), ("benign/x_mask.png", "png/MG_u16_64x48_gray.png"),
                               ("normal/y.png", "png/US_u8_32x24_rgb.png"), ("normal/broken.png", "bad/truncated.png")] {
            try folder.copy(TestPaths.fixture(source), to: "data/" + name)
        }
        let catalog = folder.file("catalogs/c.sqlite")
        let imported = try run(["import", folder.file("data"), "--catalog", catalog, "--labels-from-folders", "pathology",
                                "--mask-suffix", "_mask"])
        XCTAssertEqual(imported.status, 3, "a failed file gives exit status 3 after the import finished")
        XCTAssertTrue(imported.out.contains("4 files: 3 added, 0 changed, 0 unchanged, 1 failed"), imported.out)
        XCTAssertTrue(imported.out.contains("masks: 1 attached"), imported.out)
        let stats = try run(["stats", "--catalog", catalog])
        XCTAssertEqual(stats.status, 0, stats.err)
        XCTAssertTrue(stats.out.contains("images: 2  masks: 1"), stats.out)
        XCTAssertTrue(stats.out.contains("no patient IDs"), stats.out)
        let show = try run(["show", "benign/x.png", "--catalog", catalog])
        XCTAssertTrue(show.out.contains("label.pathology") && show.out.contains("benign/x_mask.png"), show.out)
        let failures = try run(["failures", "--catalog", catalog])
        XCTAssertTrue(failures.out.hasPrefix("normal/broken.png\tdecodeFailed"), failures.out)
        let again = try run(["import", folder.file("data"), "--catalog", catalog])
        XCTAssertTrue(again.out.contains("0 added, 0 changed, 4 unchanged"), again.out)
        let missing = try run(["import", "--deidentify", folder.file("data"), "--catalog", catalog])
        XCTAssertNotEqual(missing.status, 0)
        XCTAssertTrue(missing.err.contains("--key"), missing.err)
        let typo = try run(["import", folder.file("dta"), "--catalog", folder.file("catalogs/new.sqlite")])
        XCTAssertNotEqual(typo.status, 0)
        XCTAssertTrue(typo.err.contains("no such file or folder: " + folder.file("dta")), typo.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.file("catalogs/new.sqlite")), "no catalog is created for a mistyped path")
    }

    func testSplitCreateWarnsWithoutPatientIDsAndCheckPasses() throws {
        let folder = try TemporaryFolder()
        for (i, source) in ["png/MG_u16_64x48_gray.png", "png/US_u8_32x24_rgb.png", "tiff/MG_f32_64x48_display.tif",
                            "dicom/US_u8_32x24_RGB_explicitLE.dcm"].enumerated() {
            try folder.copy(TestPaths.fixture(source), to: "data/\(i % 2 == 0 ? "a" : "b")/\(i)_\((source as NSString).lastPathComponent)")
        }
        let catalog = folder.file("c.sqlite")
        _ = try run(["import", folder.file("data"), "--catalog", catalog, "--labels-from-folders", "kind"])
        let created = try run(["split", "create", "s", "--task", "kind", "--ratios", "0.5,0.5", "--seed", "3", "--catalog", catalog])
        XCTAssertEqual(created.status, 0, created.err)
        XCTAssertTrue(created.err.contains("WARNING") && created.err.contains("no patient ID"), created.err)
        XCTAssertTrue(created.out.contains("train") && created.out.contains("test"), created.out)
        let check = try run(["split", "check", "s", "--catalog", catalog])
        XCTAssertEqual(check.status, 0, check.out)
        let again = try run(["split", "create", "s", "--task", "kind", "--ratios", "0.5,0.5", "--catalog", catalog])
        XCTAssertNotEqual(again.status, 0, "an existing split is not overwritten without --replace")
        let preview = try run(["augment", "preview", "1", "--n", "4", "--out", folder.file("grid.png"), "--catalog", catalog])
        XCTAssertEqual(preview.status, 0, preview.err)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file("grid.png")))
    }

    func testTrainWritesCheckpointsAndHistoryAndResumes() throws {
        let folder = try TemporaryFolder()
        for i in 0..<24 {
            let label = i % 2 == 0 ? "left" : "right"
            var bytes = [UInt8](repeating: 20, count: 256)
            let left = label == "left" ? 1 : 9
            for y in 4..<9 { for x in left..<(left + 5) { bytes[y * 16 + x] = 220 } }
            bytes[i] = 90  // distinct content per file
            try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 16, columns: 16, samplesPerPixel: 1, bytes: bytes),
                                to: folder.file("data/\(label)/\(i).png"))
        }
        let catalog = folder.file("c/c.sqlite")
        XCTAssertEqual(try run(["import", folder.file("data"), "--catalog", catalog, "--labels-from-folders", "side", "--quiet"]).status, 0)
        XCTAssertEqual(try run(["split", "create", "main", "--task", "side", "--ratios", "0.5,0.25,0.25", "--group", "none", "--catalog", catalog]).status, 0)
        let first = try run(["train", "--catalog", catalog, "--split", "main", "--model", "simple-cnn", "--epochs", "2", "--size", "16",
                             "--batch-size", "4", "--name", "t", "--quiet"])
        XCTAssertEqual(first.status, 0, first.err)
        XCTAssertTrue(first.out.contains("2 epoch(s)") && first.out.contains("best epoch"), first.out)
        for file in ["best.safetensors", "last.safetensors", "history.csv", "resume.safetensors"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.file("c/runs/t/\(file)")), file)
        }
        let resumed = try run(["train", "--catalog", catalog, "--split", "main", "--model", "simple-cnn", "--epochs", "3", "--size", "16",
                               "--batch-size", "4", "--name", "t", "--resume", "--quiet"])
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertTrue(resumed.out.contains("3 epoch(s)"), resumed.out)
        let byAUC = try run(["train", "--catalog", catalog, "--split", "main", "--model", "simple-cnn", "--epochs", "2", "--size", "16",
                             "--batch-size", "4", "--name", "t-auc", "--monitor", "auc", "--quiet"])
        XCTAssertEqual(byAUC.status, 0, byAUC.err)
        XCTAssertTrue(byAUC.out.contains("(by validation auc)"), byAUC.out)
        XCTAssertNotEqual(try run(["train", "--catalog", catalog, "--split", "main", "--monitor", "kappa", "--quiet"]).status, 0)
        // Starting from given weights: at learning rate 0 the weights after an epoch are exactly those given.
        let start = folder.file("c/runs/t/last.safetensors")
        let tuned = try run(["train", "--catalog", catalog, "--split", "main", "--model", "simple-cnn", "--epochs", "1", "--size", "16",
                             "--batch-size", "4", "--name", "t-init", "--learning-rate", "0", "--seed", "5", "--initial-weights", start, "--quiet"])
        XCTAssertEqual(tuned.status, 0, tuned.err)
        XCTAssertTrue(tuned.out.contains("initial weights: every tensor from " + start + "\n"), tuned.out)
        let given = try Checkpoint.read(from: start), after = try Checkpoint.read(from: folder.file("c/runs/t-init/last.safetensors"))
        XCTAssertEqual(Set(given.tensors.keys), Set(after.tensors.keys))
        for (name, tensor) in given.tensors { XCTAssertEqual(after.tensors[name]?.data, tensor.data, name) }
        let wrong = try run(["train", "--catalog", catalog, "--split", "main", "--model", "resnet18", "--epochs", "1", "--size", "16",
                             "--name", "t-wrong", "--initial-weights", start, "--quiet"])
        XCTAssertNotEqual(wrong.status, 0)
        XCTAssertTrue(wrong.err.contains("initial weights: the checkpoint does not fit this model"), wrong.err)
        let history = try String(contentsOfFile: folder.file("c/runs/t/history.csv"), encoding: .utf8)
        XCTAssertEqual(history.split(separator: "\n").count, 1 + 6, "three epochs of train and validation rows")

        // Scoring: a folder with one broken file, whole and in two shards run as separate processes, merged.
        let model = folder.file("c/runs/t/best.safetensors")
        try folder.copy(TestPaths.fixture("bad/truncated.png"), to: "data/right/broken.png")
        let whole = try run(["score", folder.file("data"), "--model", model, "--out", folder.file("s/all.csv"), "--tta", "--quiet"])
        XCTAssertEqual(whole.status, 0, whole.err)
        XCTAssertTrue(whole.out.contains("scored 24 image(s); 1 unreadable"), whole.out)
        let csv = try String(contentsOfFile: folder.file("s/all.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(csv.first, "path,label,p_left,p_right")
        XCTAssertEqual(csv.count, 25)
        let failures = try String(contentsOfFile: folder.file("s/all.failures.csv"), encoding: .utf8)
        XCTAssertTrue(failures.contains("broken.png"))
        // A decoder that crashes on one image (worker processes abort on it) costs that image only.
        let crashing = try run(["score", folder.file("data"), "--model", model, "--out", folder.file("s/crash.csv"), "--quiet", "--debug-crash-on", "13.png"])
        XCTAssertEqual(crashing.status, 0, crashing.err)
        XCTAssertTrue(crashing.out.contains("scored 23 image(s); 2 unreadable"), crashing.out)
        let crashFailures = try String(contentsOfFile: folder.file("s/crash.failures.csv"), encoding: .utf8)
        XCTAssertTrue(crashFailures.contains("13.png") && crashFailures.contains("crashed"), crashFailures)
        for i in 0..<2 {
            let part = try run(["score", folder.file("data"), "--model", model, "--out", folder.file("s/part\(i).csv"), "--tta", "--shard", "\(i)/2", "--quiet"])
            XCTAssertEqual(part.status, 0, part.err)
        }
        XCTAssertEqual(try run(["merge", folder.file("s/part0.csv"), folder.file("s/part1.csv"), "--out", folder.file("s/merged.csv")]).status, 0)
        for (environment, label) in [(["SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_COUNT": "2"], "slurm"),
                                     (["JOB_COMPLETION_INDEX": "1", "COHORT_SHARD_COUNT": "2"], "kubernetes")] {
            let task = try run(["score", folder.file("data"), "--model", model, "--out", folder.file("s/\(label).csv"), "--tta", "--quiet"],
                               environment: environment)
            XCTAssertTrue(task.out.contains("(shard 1/2)"), task.out + task.err)
            XCTAssertEqual(try String(contentsOfFile: folder.file("s/\(label).csv"), encoding: .utf8),
                           try String(contentsOfFile: folder.file("s/part1.csv"), encoding: .utf8), "\(label) variables pick shard 1 of 2")
        }
        XCTAssertEqual(try String(contentsOfFile: folder.file("s/merged.csv"), encoding: .utf8),
                       try String(contentsOfFile: folder.file("s/all.csv"), encoding: .utf8), "shards merge to the unsharded result")
        let partition = try run(["score", "--catalog", catalog, "--split", "main", "--partition", "test", "--model", model,
                                 "--out", folder.file("s/test.csv"), "--quiet"])
        XCTAssertEqual(partition.status, 0, partition.err)
        XCTAssertTrue(try String(contentsOfFile: folder.file("s/test.csv"), encoding: .utf8).contains(",left,") , "catalog labels are written")

        // Evaluation straight from the catalog: the scoring run (found by the training run's name), its split and history.
        let evaluated = try run(["evaluate", "--catalog", catalog, "--run", "t", "--resamples", "50"])
        XCTAssertEqual(evaluated.status, 0, evaluated.err)
        XCTAssertTrue(evaluated.out.contains("Split 'main' by partition") && evaluated.out.contains("AUC"), evaluated.out)
        let report = try run(["report", "--catalog", catalog, "--run", "cnn=t/test", "--resamples", "50", "--out", folder.file("r")])
        XCTAssertEqual(report.status, 0, report.err)
        let html = try String(contentsOfFile: folder.file("r/report.html"), encoding: .utf8)
        for expected in ["Split &#39;main&#39; by partition", "cnn: checkpoint", "sha256", "cnn: training run", "loss.svg", "<h2>Training</h2>"] {
            XCTAssertTrue(html.contains(expected) || FileManager.default.fileExists(atPath: folder.file("r/figures/" + expected)), expected)
        }
        let unknown = try run(["evaluate", "--catalog", catalog, "--run", "nope"])
        XCTAssertNotEqual(unknown.status, 0)
        XCTAssertTrue(unknown.err.contains("runs here: t"), unknown.err)
    }

    func testAnOutOfRangeShardIsRefused() throws {
        let folder = try TemporaryFolder()
        let result = try run(["score", folder.path, "--model", folder.file("missing.safetensors"), "--out", folder.file("o.csv"), "--shard", "3/2"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.err.contains("--shard is I/N"), "the shard is what is refused, not the missing model: \(result.err)")
    }

    /// Kills `cohort train` (SIGKILL) at several moments and resumes each time: the final weights equal those of
    /// an uninterrupted run.
    func testKilledTrainingResumesToTheUninterruptedWeights() throws {
        guard let binary = TestPaths.cohortBinary else { throw XCTSkip("cohort binary not built") }
        let folder = try TemporaryFolder()
        for i in 0..<32 {
            let label = i % 2 == 0 ? "left" : "right"
            var bytes = [UInt8](repeating: 30, count: 32 * 32)
            let left = label == "left" ? 2 : 18
            for y in (4 + i % 10)..<(14 + i % 10) { for x in left..<(left + 10) { bytes[y * 32 + x] = 200 } }
            try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 32, columns: 32, samplesPerPixel: 1, bytes: bytes),
                                to: folder.file("data/\(label)/\(i).png"))
        }
        let catalog = folder.file("c/c.sqlite")
        _ = try run(["import", folder.file("data"), "--catalog", catalog, "--labels-from-folders", "side", "--quiet"])
        _ = try run(["split", "create", "main", "--task", "side", "--ratios", "0.75,0.25", "--names", "train,validation", "--group", "none", "--catalog", catalog])
        let arguments = ["train", "--catalog", catalog, "--split", "main", "--model", "simple-cnn", "--epochs", "100", "--size", "32",
                         "--batch-size", "4", "--seed", "5", "--quiet"]
        XCTAssertEqual(try run(arguments + ["--name", "whole"]).status, 0)
        var kills = 0, generator = UInt64(11), finished = false
        for attempt in 0..<30 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: binary)
            process.arguments = arguments + ["--name", "killed"] + (attempt > 0 ? ["--resume"] : [])
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            generator = generator &* 6364136223846793005 &+ 1442695040888963407
            usleep(UInt32(300_000 + (generator >> 33) % 900_000))
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                kills += 1
                process.waitUntilExit()
            } else {
                process.waitUntilExit()
                XCTAssertEqual(process.terminationStatus, 0)
                finished = true
                break
            }
        }
        // On a loaded machine 30 short lives may not reach the end: finish with one more resume, unkilled.
        if !finished { XCTAssertEqual(try run(arguments + ["--name", "killed", "--resume"]).status, 0) }
        print("training killed \(kills) times before a run finished")
        XCTAssertGreaterThanOrEqual(kills, 2, "training must have been killed mid-way")
        // The tensor bytes after the safetensors header (whose metadata names the run, which differs).
        func tensorBytes(_ path: String) throws -> Data {
            let data = try Data(contentsOf: URL(fileURLWithPath: path))
            let headerLength = data.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << (8 * $1.offset) }
            return data.dropFirst(8 + headerLength)
        }
        let whole = try tensorBytes(folder.file("c/runs/whole/last.safetensors"))
        let resumed = try tensorBytes(folder.file("c/runs/killed/last.safetensors"))
        XCTAssertGreaterThan(whole.count, 100_000)
        XCTAssertEqual(whole, resumed, "\(kills) kills: the resumed weights equal the uninterrupted run's, byte for byte")
    }
}
