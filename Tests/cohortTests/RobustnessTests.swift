import CohortCore
import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// Hostile input end to end: decoders that crash, identifiers that must not leak, names that must not run.
final class RobustnessTests: XCTestCase {
    func testADecoderCrashDuringImportCostsThatFileOnly() throws {
        let folder = try TemporaryFolder()
        for name in try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture("dicom")) {
            try folder.copy(TestPaths.fixture("dicom/" + name), to: "data/" + name)
        }
        let catalog = folder.file("c.sqlite")
        let crashing = "MONOCHROME1_RLE"
        let first = try runCohort(["import", folder.file("data"), "--catalog", catalog, "--quiet", "--debug-crash-on", crashing])
        XCTAssertEqual(first.status, 3, "finished with a recorded failure: " + first.err)
        XCTAssertTrue(first.out.contains("11 files: 10 added") && first.out.contains("1 failed"), first.out)
        let failures = try runCohort(["failures", "--catalog", catalog])
        XCTAssertTrue(failures.out.contains("MG_u16s12_64x48_MONOCHROME1_RLE.dcm\tdecoderCrashed"), failures.out)
        XCTAssertTrue(failures.out.contains("SIGABRT"), failures.out)
        let again = try runCohort(["import", folder.file("data"), "--catalog", catalog, "--quiet"])
        XCTAssertTrue(again.out.contains("0 added") && again.out.contains("11 unchanged"), "a recorded failure is not retried while unchanged: " + again.out)
        let inProcess = try runCohort(["import", folder.file("data"), "--catalog", folder.file("d.sqlite"), "--quiet", "--in-process"])
        XCTAssertEqual(inProcess.status, 0, inProcess.err)
        XCTAssertTrue(inProcess.out.contains("11 added"), inProcess.out)
    }

    /// A long job whose binary is replaced or deleted meanwhile (a rebuild, an upgrade) still starts its workers:
    /// they are the running program (`/proc/self/exe`), not whatever the path now holds. The copy is deleted
    /// before it runs (bash keeps it open and executes it through the descriptor), so every worker it starts comes
    /// after the deletion.
    func testWorkersStartAfterTheRunningBinaryWasDeleted() throws {
        guard let binary = TestPaths.cohortBinary else { throw XCTSkip("cohort binary not built (run swift build)") }
        let folder = try TemporaryFolder()
        for name in try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture("dicom")) {
            try folder.copy(TestPaths.fixture("dicom/" + name), to: "data/" + name)
        }
        let copy = try folder.copy(binary, to: "bin/cohort")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", "exec 3< \"$0\" && rm \"$0\" && exec /proc/self/fd/3 import \"$1\" --catalog \"$2\" --quiet",
                             copy, folder.file("data"), folder.file("c.sqlite")]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        XCTAssertFalse(FileManager.default.fileExists(atPath: copy))
        XCTAssertEqual(process.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("11 files: 11 added"), text)
    }

    /// Every input on which fuzzing found a crash or a hang, imported with decoders in workers under a time limit:
    /// each must be a clean rejection (or a decode), never a crashed or stopped worker (`crash_contained_*` would
    /// name inputs that crash inside a library we cannot change: recorded, with the import going on).
    func testEveryFuzzRegressionInputFailsCleanlyInsideTheTimeLimit() throws {
        let folder = try TemporaryFolder()
        let catalog = folder.file("c.sqlite")
        let result = try runCohort(["import", TestPaths.fixture("fuzz"), "--catalog", catalog, "--decode-timeout", "20", "--quiet"])
        XCTAssertTrue([0, 3].contains(result.status), result.err)
        let failures = try runCohort(["failures", "--catalog", catalog]).out
        let count = try FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture("fuzz")).count
        XCTAssertTrue(result.out.contains("\(count) files:"), result.out)
        for line in failures.split(separator: "\n") where !line.hasPrefix("crash_contained_") {
            XCTAssertFalse(line.contains("decoderCrashed") || line.contains("decoderTimeout"), String(line))
        }
        XCTAssertTrue(failures.contains("hang_jpeg_TEM_marker_before_frame_header.dcm\tdecodeFailed"), failures)
        XCTAssertTrue(failures.contains("jpegls_scan_bit_flip_that_aborted_charls.dcm\tdecodeFailed"), failures)
    }

    /// A short campaign runs its inputs through the readers and finds no crash in Cohort's own code and no hang.
    /// DCMTK's bundled CharLS aborts on some corrupt JPEG-LS scans (an assertion we cannot change); such crashes
    /// are contained by the workers and may appear, named by library.
    func testAShortFuzzCampaignOverTheFixturesFindsNothingInOurCode() throws {
        let folder = try TemporaryFolder()
        let result = try runCohort(["fuzz", TestPaths.fixture("dicom"), TestPaths.fixture("png"), TestPaths.fixture("tiff"),
                                    "--inputs", "400", "--out", folder.file("findings"), "--quiet", "--seed", "9"])
        XCTAssertTrue(result.out.contains("fuzz: 400 input(s)") && result.out.contains(" 0 hang(s)"), result.out)
        XCTAssertTrue(result.out.contains("decoded:") && result.out.contains("rejected:"), "mutants both pass and fail: " + result.out)
        let crashes = result.out.split(separator: "\n").filter { $0.hasPrefix("  crash: ") }
        for crash in crashes { XCTAssertTrue(crash.contains("in libdcmtkcharls."), "a crash outside the known library assertion: \(crash)") }
        XCTAssertEqual(result.status, crashes.isEmpty ? 0 : 1, result.out)
    }

    /// Writes `count` 16x16 DICOM mammograms of four patients full of planted identifiers; a bright block on the
    /// left or right decides the label. Returns the planted strings.
    private func plantedStudies(in folder: TemporaryFolder, count: Int) throws -> [String] {
        var planted: [String] = []
        var csv = "path,finding\n"
        for i in 0..<count {
            let patient = i % 4
            let side = i % 2 == 0 ? "left" : "right"
            var pixels = [UInt16](repeating: 300, count: 256)
            let x0 = side == "left" ? 1 : 9
            for y in 4..<10 { for x in x0..<(x0 + 5) { pixels[y * 16 + x] = 3000 } }
            pixels[200 + i] = UInt16(100 + i)
            let identifiers: [(UInt32, String)] = [
                (0x0010_0010, "PLANTNAME^PATIENT\(patient)"), (0x0010_0020, "PLANTID-\(4400 + patient)"),
                (0x0010_0030, "1950031\(patient)"), (0x0010_1000, "PLANTOTHER-\(patient)"),
                (0x0010_1040, "\(patient) Plantation Road"), (0x0008_0050, "PLANTACC\(9000 + i)"),
                (0x0008_0080, "Plantville General Hospital"), (0x0008_0090, "PLANTDOC^REFERRER"),
                (0x0008_0020, "2023051\(patient)"), (0x0020_0010, "PLANTSTUDY\(patient)"),
                (0x0020_000D, "1.2.826.0.1.3680043.10.1435.9\(patient).1"),
                (0x0020_000E, "1.2.826.0.1.3680043.10.1435.9\(patient).2"),
                (0x0008_0018, "1.2.826.0.1.3680043.10.1435.9\(patient).3.\(i)"),
            ]
            planted += identifiers.map(\.1)
            let attributes = identifiers + [(0x0008_0060, "MG"), (0x0020_0062, i % 3 == 0 ? "L" : "R"), (0x0018_5101, "CC")]
            let name = "study\(i).dcm"
            try DicomWriter.writeGray16(pixels, rows: 16, columns: 16, bitsStored: 12, photometric: .monochrome2,
                                        attributes: attributes.map { (tag: $0.0, value: $0.1) }, syntax: .explicitLittle,
                                        to: folder.file("data/" + name))
            csv += "\(name),\(side)\n"
        }
        try csv.write(toFile: folder.file("labels.csv"), atomically: true, encoding: .utf8)
        // A damaged file with the same identifiers: its failure message must not carry them either.
        let whole = try Data(contentsOf: URL(fileURLWithPath: folder.file("data/study0.dcm")))
        try whole.prefix(whole.count * 2 / 3).write(to: URL(fileURLWithPath: folder.file("data/damaged.dcm")))
        return Array(Set(planted)).sorted()
    }

    func testADeidentifiedJobLeaksNoPlantedIdentifier() throws {
        let folder = try TemporaryFolder()
        let planted = try plantedStudies(in: folder, count: 24)
        try Data((0..<32).map { UInt8($0 * 7 + 3) }).write(to: URL(fileURLWithPath: folder.file("site.key")))
        let catalog = folder.file("out/c.sqlite")
        var transcript = ""
        func step(_ arguments: [String], expect: Int32 = 0) throws {
            let result = try runCohort(arguments)
            transcript += result.out + result.err
            XCTAssertEqual(result.status, expect, "\(arguments.joined(separator: " ")): \(result.err)")
        }
        try step(["import", folder.file("data"), "--catalog", catalog, "--deidentify", "--key", folder.file("site.key")], expect: 3)
        try step(["labels", "import", folder.file("labels.csv"), "--task", "finding", "--value-column", "finding",
                  "--path-column", "path", "--catalog", catalog])
        try step(["split", "create", "main", "--task", "finding", "--ratios", "0.5,0.25,0.25", "--group", "patient", "--seed", "3",
                  "--catalog", catalog])
        for command in [["stats"], ["failures"], ["show", "1"], ["split", "show", "main"], ["split", "check", "main"]] {
            try step(command + ["--catalog", catalog])
        }
        try step(["train", "--catalog", catalog, "--split", "main", "--model", "simple-cnn", "--epochs", "1", "--size", "16",
                  "--batch-size", "4", "--name", "t"])
        try step(["score", "--catalog", catalog, "--split", "main", "--partition", "test", "--model", folder.file("out/runs/t/best.safetensors"),
                  "--out", folder.file("out/scores/test.csv")])
        try step(["evaluate", "--catalog", catalog, "--run", "t", "--resamples", "20"])
        try step(["report", "--catalog", catalog, "--run", "t", "--resamples", "20", "--out", folder.file("out/report")])
        XCTAssertTrue(transcript.contains("damaged.dcm"), "the damaged file was reported")
        var haystacks: [(String, Data)] = [("terminal output", Data(transcript.utf8))]
        let outputs = try FileManager.default.subpathsOfDirectory(atPath: folder.file("out"))
        for sub in outputs {
            var isFolder: ObjCBool = false
            if FileManager.default.fileExists(atPath: folder.file("out/" + sub), isDirectory: &isFolder), !isFolder.boolValue {
                haystacks.append((sub, try Data(contentsOf: URL(fileURLWithPath: folder.file("out/" + sub)))))
            }
        }
        XCTAssertTrue(outputs.contains("report/report.html") && outputs.contains("scores/test.csv") && outputs.contains("runs/t/history.csv"),
                      "\(outputs)")
        for (name, bytes) in haystacks {
            for identifier in planted {
                XCTAssertNil(bytes.range(of: Data(identifier.utf8)), "\(identifier) leaked into \(name)")
            }
        }
        print("PHI: \(planted.count) planted identifiers, none found in \(haystacks.count) outputs")
        // Control: the same search finds them in a catalog imported without --deidentify.
        let plain = folder.file("plain.sqlite")
        _ = try runCohort(["import", folder.file("data"), "--catalog", plain, "--quiet"])
        let plainBytes = try Data(contentsOf: URL(fileURLWithPath: plain)) + ((try? Data(contentsOf: URL(fileURLWithPath: plain + "-wal"))) ?? Data())
        let found = planted.filter { plainBytes.range(of: Data($0.utf8)) != nil }
        XCTAssertGreaterThan(found.count, 20, "the search finds identifiers where they were not removed")
    }

    func testHostileLabelsAndFileNamesAreEscapedInReportsAndNeutralisedInCSV() throws {
        let folder = try TemporaryFolder()
        let labels = ["=HYPERLINK(\"http:evil\")", "<img src=x onerror=alert(1)>"]
        let names = ["=1+1", "+SUM(A1)", "-2+3", "@cmd", "a,\"b\"", "<i>x"]
        for i in 0..<24 {
            let label = labels[i % 2]
            var bytes = [UInt8](repeating: 20, count: 256)
            let left = i % 2 == 0 ? 1 : 9
            for y in 4..<9 { for x in left..<(left + 5) { bytes[y * 16 + x] = 220 } }
            bytes[200 + i] = 90
            try PNGWriter.write(PixelArray(format: .uint8, frames: 1, rows: 16, columns: 16, samplesPerPixel: 1, bytes: bytes),
                                to: folder.file("data/\(label)/\(names[i % names.count])\(i).png"))
        }
        let catalog = folder.file("c.sqlite")
        for arguments in [["import", folder.file("data"), "--labels-from-folders", "kind", "--quiet"],
                          ["split", "create", "main", "--task", "kind", "--ratios", "0.5,0.25,0.25", "--group", "none"],
                          ["train", "--split", "main", "--model", "simple-cnn", "--epochs", "1", "--size", "16", "--batch-size", "4",
                           "--name", "t", "--quiet"],
                          ["score", "--split", "main", "--partition", "test", "--model", folder.file("runs/t/best.safetensors"),
                           "--out", folder.file("out/test.csv"), "--quiet"],
                          ["report", "--run", "t", "--resamples", "20", "--positive", labels[1], "--out", folder.file("out/report")]] {
            let result = try runCohort(arguments + ["--catalog", catalog])
            XCTAssertEqual(result.status, 0, "\(arguments[0]): \(result.err)")
        }
        let html = try String(contentsOfFile: folder.file("out/report/report.html"), encoding: .utf8)
        XCTAssertFalse(html.contains("<img src=x"), "a label became markup")
        XCTAssertTrue(html.contains("&lt;img src=x onerror=alert(1)&gt;"), "the label is shown, escaped")
        let csvs = try FileManager.default.subpathsOfDirectory(atPath: folder.file("out")).filter { $0.hasSuffix(".csv") }
        XCTAssertGreaterThan(csvs.count, 3)
        var fields = 0
        for csv in csvs {
            let table = CSVTable(text: try String(contentsOfFile: folder.file("out/" + csv), encoding: .utf8))
            for value in table.header + table.rows.flatMap({ Array($0.values) }) where Double(value) == nil {
                fields += 1
                XCTAssertFalse(value.first.map { "=+-@".contains($0) } ?? false, "\(csv): a spreadsheet would run \(value)")
            }
        }
        let scores = try String(contentsOfFile: folder.file("out/test.csv"), encoding: .utf8)
        XCTAssertTrue(scores.contains("'=HYPERLINK(\"\"http:evil\"\")"), "labels are kept, neutralised: \(scores)")
        print("hostile names: \(fields) text fields in \(csvs.count) CSV files checked")
    }
}
