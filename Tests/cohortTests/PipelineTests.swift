import CohortTestSupport
import Foundation
import XCTest

/// `cohort synth` and `cohort pipeline` end to end on a tiny synthetic study set.
final class PipelineTests: XCTestCase {
    private func run(_ arguments: [String], in directory: String) throws -> (status: Int32, out: String, err: String) {
        try runCohort(arguments, in: directory)
    }

    func testSynthWritesReadableMammogramsWithMixedEncodings() throws {
        let folder = try TemporaryFolder()
        let synth = try run(["synth", "studies", "--patients", "6", "--size", "96x72", "--seed", "3", "--quiet"], in: folder.path)
        XCTAssertEqual(synth.status, 0, synth.err)
        let labels = try String(contentsOfFile: folder.file("studies/labels.csv"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(labels.first, "path,patient_id,laterality,view,finding")
        let inspect = try run(["inspect", "studies"], in: folder.path)
        XCTAssertEqual(inspect.status, 0, inspect.err)
        for expected in ["MONOCHROME1", "MONOCHROME2", "RLE", "JPEG-LS-lossless", "JPEG-lossless-SV1", "implicit-LE", "laterality=R", "view=MLO"] {
            XCTAssertTrue(inspect.out.contains(expected), "\(expected) missing from:\n\(inspect.out)")
        }
        XCTAssertEqual(inspect.out.split(separator: "\n").count, labels.count - 1, "one inspected line per labelled file")
        let again = try run(["synth", "again", "--patients", "6", "--size", "96x72", "--seed", "3", "--quiet"], in: folder.path)
        XCTAssertEqual(again.status, 0, again.err)
        let files = try FileManager.default.subpathsOfDirectory(atPath: folder.file("studies")).filter { $0.hasSuffix(".dcm") }
        XCTAssertEqual(files.count, labels.count - 1)
        for file in files {  // every file, compressed ones included (a JPEG-LS pad byte once came out random)
            XCTAssertEqual(FileManager.default.contents(atPath: folder.file("again/" + file)),
                           FileManager.default.contents(atPath: folder.file("studies/" + file)), "same seed, same bytes: \(file)")
        }
    }

    func testPipelineRunsEveryStepThenReusesThem() throws {
        let folder = try TemporaryFolder()
        XCTAssertEqual(try run(["synth", "studies", "--patients", "12", "--size", "96x72", "--quiet"], in: folder.path).status, 0)
        let experiment = """
            title: tiny
            catalog: c/c.sqlite
            import: {paths: [studies]}
            labels: {csv: studies/labels.csv, task: finding, value_column: finding, path_column: path}
            split: {name: s, task: finding, ratios: [0.5, 0.25, 0.25], group: patient, seed: 1}
            data: {size: [32, 32], resize: pad, orientation: laterality}
            training: {epochs: 2, batch_size: 8}
            models:
              - {name: a, model: simple-cnn}
              - {name: b, model: simple-cnn, learning_rate: 0.0003, class_balanced: true}
            score: {partition: test}
            report: {out: r, positive: mass, resamples: 20}
            """
        try Data(experiment.utf8).write(to: URL(fileURLWithPath: folder.file("e.yaml")))
        let first = try run(["pipeline", "e.yaml", "--quiet"], in: folder.path)
        XCTAssertEqual(first.status, 0, first.out + first.err)
        for expected in ["cohort import studies", "cohort split create s", "cohort train", "cohort score", "Paired AUC comparison", "r/report.html"] {
            XCTAssertTrue(first.out.contains(expected), "\(expected) missing from:\n\(first.out)")
        }
        XCTAssertTrue(first.out.contains("--name b --split s --out c/runs/b") && first.out.contains("--class-balanced"),
                      "a model's class_balanced reaches its training:\n\(first.out)")
        let html = try String(contentsOfFile: folder.file("r/report.html"), encoding: .utf8)
        XCTAssertTrue(html.contains("a: training run") && html.contains("b: checkpoint"), "provenance of both models")
        let second = try run(["pipeline", "e.yaml", "--quiet"], in: folder.path)
        XCTAssertEqual(second.status, 0, second.out + second.err)
        XCTAssertTrue(second.out.contains("split: reusing 's'") && second.out.contains("train a: reusing run") &&
                      second.out.contains("score b: reusing run"), second.out)
        XCTAssertFalse(second.out.contains("cohort train"), "nothing is retrained when nothing changed")
        // A changed model setting retrains that model only.
        try Data(experiment.replacingOccurrences(of: "learning_rate: 0.0003", with: "learning_rate: 0.0005").utf8)
            .write(to: URL(fileURLWithPath: folder.file("e.yaml")))
        let third = try run(["pipeline", "e.yaml", "--quiet"], in: folder.path)
        XCTAssertEqual(third.status, 0, third.out + third.err)
        XCTAssertTrue(third.out.contains("train a: reusing run") && third.out.contains("cohort train --config e.yaml --catalog c/c.sqlite --name b"), third.out)
        let broken = try run(["pipeline", "missing.yaml"], in: folder.path)
        XCTAssertNotEqual(broken.status, 0)
        XCTAssertTrue(broken.err.contains("missing.yaml"), broken.err)
    }
}
