import CohortCore
import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// DICOM Segmentation objects written through dcmseg, read back by DCMTK and by highdicom.
final class DicomSegmentationTests: XCTestCase {
    private let source = TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME2_SIGMOID_explicitLE.dcm")

    /// A 48-row, 64-column mask: an irregular blob, asymmetric so that flips and transposes show.
    private func mask(_ rows: Int, _ columns: Int) -> [Bool] {
        (0..<(rows * columns)).map { i in
            let (y, x) = (i / columns, i % columns)
            return (5..<20).contains(y) && (10..<(30 + y)).contains(x) || (y == 40 && x < 7)
        }
    }

    private func writeSegmentation(_ folder: TemporaryFolder) throws -> (path: String, mask: [Bool], rows: Int, columns: Int) {
        let image = try ImageFiles.read(path: source)
        let (rows, columns) = (image.metadata.rows, image.metadata.columns)
        XCTAssertEqual([rows, columns], [48, 64])
        let m = mask(rows, columns)
        let path = folder.file("lesion.seg.dcm")
        try DicomSegmentationWriter.writeBinary(source: source, mask: m, rows: rows, columns: columns, algorithm: "unet test", to: path)
        return (path, m, rows, columns)
    }

    func testTheSegmentationReferencesItsSourceAndHoldsTheMask() throws {
        let folder = try TemporaryFolder()
        let (path, m, rows, columns) = try writeSegmentation(folder)
        let seg = try ImageFiles.read(path: path)
        let sourceMetadata = try ImageFiles.read(path: source).metadata
        XCTAssertEqual(seg.metadata.modality, "SEG")
        XCTAssertEqual(seg.metadata.studyInstanceUID, sourceMetadata.studyInstanceUID, "same study as the source")
        XCTAssertEqual(seg.metadata.patientID, sourceMetadata.patientID)
        XCTAssertNotEqual(seg.metadata.seriesInstanceUID, sourceMetadata.seriesInstanceUID, "a new series")
        let pixels = try XCTUnwrap(seg.pixels)
        XCTAssertEqual([pixels.rows, pixels.columns, pixels.frames], [rows, columns, 1])
        XCTAssertEqual(pixels.floatSamples(frame: 0).map { $0 != 0 }, m, "bit-packed frame reads back as written")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path + ".partial"))
    }

    func testAProbabilityMapIsWrittenAsAFractionalSegmentation() throws {
        let folder = try TemporaryFolder()
        // Every byte value from 0 to 255 occurs.
        let p = (0..<(48 * 64)).map { UInt8(($0 * 7) % 256) }
        let path = folder.file("lesion-probability.seg.dcm")
        try DicomSegmentationWriter.writeProbability(source: source, probability: p, rows: 48, columns: 64, algorithm: "unet test", to: path)
        let pixels = try XCTUnwrap(try ImageFiles.read(path: path).pixels)
        XCTAssertEqual([pixels.rows, pixels.columns, pixels.frames], [48, 64, 1])
        XCTAssertEqual(pixels.floatSamples(frame: 0), p.map { Float($0) }, "the probability bytes as written")

        guard let python = try? PythonVenv.python(with: [("highdicom", "highdicom")]) else {
            throw XCTSkip("highdicom could not be installed into a venv: the DCMTK read-back passed, the highdicom check is skipped")
        }
        let script = """
            import sys, highdicom as hd
            seg = hd.seg.segread(sys.argv[1])
            print(seg.SegmentationType, seg.SegmentationFractionalType, seg.MaximumFractionalValue)
            print(" ".join(str(int(v)) for v in seg.pixel_array.ravel()))
            """
        var output = ""
        let status = PythonVenv.run(python, ["-c", script, path], timeout: 120, output: &output)
        XCTAssertEqual(status, 0, output)
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "FRACTIONAL PROBABILITY 255", output)
        XCTAssertEqual(lines.last?.split(separator: " ").compactMap { Float($0) }, pixels.floatSamples(frame: 0), "highdicom's values differ")
    }

    func testAMaskOfAnotherSizeIsRefusedNamingBothSizes() throws {
        let folder = try TemporaryFolder()
        XCTAssertThrowsError(try DicomSegmentationWriter.writeBinary(source: source, mask: [Bool](repeating: true, count: 100), rows: 10, columns: 10,
                                                                     algorithm: "x", to: folder.file("s.dcm"))) { error in
            XCTAssertTrue("\(error)".contains("10x10") && "\(error)".contains("64x48"), "\(error)")
        }
    }

    func testHighdicomReadsTheSegmentationBack() throws {
        let python = try PythonVenv.python(with: [("highdicom", "highdicom")])
        let folder = try TemporaryFolder()
        let (path, m, _, _) = try writeSegmentation(folder)
        let script = """
            import sys, highdicom as hd, pydicom
            seg = hd.seg.segread(sys.argv[1])
            src = pydicom.dcmread(sys.argv[2])
            assert seg.SegmentationType == "BINARY", seg.SegmentationType
            refs = [r.ReferencedSOPInstanceUID for f in seg.PerFrameFunctionalGroupsSequence for d in f.DerivationImageSequence for r in d.SourceImageSequence]
            assert refs == [src.SOPInstanceUID], refs
            s = seg.get_segment_description(1)
            print(s.segment_label, s.algorithm_type.value)
            mask = seg.get_pixels_by_source_instance(source_sop_instance_uids=[src.SOPInstanceUID], segment_numbers=[1])[0, :, :, 0]
            print("".join("1" if v else "0" for v in mask.ravel()))
            """
        var output = ""
        let status = PythonVenv.run(python, ["-c", script, path, source], timeout: 120, output: &output)
        XCTAssertEqual(status, 0, output)
        let lines = output.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "lesion AUTOMATIC", output)
        XCTAssertTrue(lines.last.map { $0.map { $0 == "1" } } == m, "highdicom's pixels differ from the mask")
    }
}
