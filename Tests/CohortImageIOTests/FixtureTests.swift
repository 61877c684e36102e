import CohortCore
import CohortImageIO
import CohortTestSupport
import XCTest

/// The project's own fixtures: every encoding of one image decodes to the same values; bad files fail cleanly.
final class FixtureTests: XCTestCase {
    private func digest(_ name: String) throws -> String {
        SHA256.hex(try XCTUnwrap(try ImageFiles.read(path: TestPaths.fixture("dicom/\(name)")).pixels).bytes)
    }

    func testEveryTransferSyntaxOfOneImageDecodesToTheSameStoredValues() throws {
        let reference = try digest("MG_u16s12_64x48_MONOCHROME1_explicitLE.dcm")
        for name in ["MG_u16s12_64x48_MONOCHROME1_RLE.dcm", "MG_u16s12_64x48_MONOCHROME2_SIGMOID_JPEGLS.dcm",
                     "MG_u16s12_64x48_MONOCHROME2_SIGMOID_JPEGlossless.dcm",
                     "MG_u16s12_64x48_MONOCHROME2_SIGMOID_explicitLE.dcm"] {
            XCTAssertEqual(try digest(name), reference, name)
        }
        let ct = try digest("CT_i16s16_32x32_rescale_explicitLE.dcm")
        XCTAssertEqual(try digest("CT_i16s16_32x32_rescale_explicitBE.dcm"), ct)
        XCTAssertEqual(try digest("CT_i16s16_32x32_rescale_implicitLE.dcm"), ct)
        XCTAssertEqual(try digest("OT_u8_32x32_3frames_RLE.dcm"), try digest("OT_u8_32x32_3frames_explicitLE.dcm"))
    }

    func testStoredValuesFollowTheGeneratorsFormula() throws {
        let image = try ImageFiles.read(path: TestPaths.fixture("dicom/OT_u8_32x32_3frames_RLE.dcm"))
        let pixels = try XCTUnwrap(image.pixels)
        // fixtures/generate.py: v = (r*37 + c*11 + f*101) % 256 outside the disc centred at (16, 10), radius 6.
        XCTAssertEqual(pixels.value(frame: 2, row: 1, column: 30), Double((37 + 330 + 202) % 256))
        XCTAssertEqual(pixels.value(frame: 0, row: 16, column: 10), Double(255 - 10 % 7))
    }

    func testMammographyFieldsAreRead() throws {
        let image = try ImageFiles.read(path: TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME1_RLE.dcm"))
        let m = image.metadata
        XCTAssertEqual(m.modality, "MG")
        XCTAssertEqual(m.laterality, "L")
        XCTAssertEqual(m.view, "MLO")
        XCTAssertEqual(m.presentationIntent, "FOR PRESENTATION")
        XCTAssertEqual(m.pixelSpacingMillimeters, [0.1, 0.1])
        XCTAssertEqual(m.bitsStored, 12)
        XCTAssertEqual(image.photometric, .monochrome1)
        XCTAssertEqual(image.grayscale.windows.count, 2)
        XCTAssertTrue(image.grayscale.invert)
    }

    func testSigmoidFunctionIsReadAndUsed() throws {
        let image = try ImageFiles.read(path: TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME2_SIGMOID_explicitLE.dcm"))
        XCTAssertEqual(image.grayscale.windows.first?.function, .sigmoid)
        let shown = try image.display()
        let stored = try XCTUnwrap(image.pixels).value(at: 5)
        XCTAssertEqual(Double(shown.values[5]), 1 / (1 + exp(-4 * (stored - 2048) / 4096)), accuracy: 1e-6)
    }

    func testMonochrome1DisplayIsTheInverseOfTheSameDataAsMonochrome2() throws {
        let m1 = try ImageFiles.read(path: TestPaths.fixture("dicom/MG_u16s12_64x48_MONOCHROME1_explicitLE.dcm"))
        let shown = try m1.display(voi: .window(0)).values
        let window = Window(center: 2048, width: 4096)
        let stored = try XCTUnwrap(m1.pixels).doubles()
        for i in stride(from: 0, to: stored.count, by: 97) {
            XCTAssertEqual(Double(shown[i]), 1 - window(stored[i]), accuracy: 1e-6)
        }
    }

    func testBadFilesGiveTypedErrorsNamingTheFile() {
        let cases: [(String, Set<ImageIOError.Code>)] = [
            ("bad/truncated_header.dcm", [.malformed, .truncated, .notDICOM]),
            ("bad/truncated_pixels.dcm", [.malformed, .truncated]),
            ("bad/not_an_image.dcm", [.unknownFormat]),
            ("bad/absurd_length.dcm", [.malformed, .declaredLengthTooLarge, .truncated]),
            ("bad/truncated.png", [.decodeFailed]),
            ("bad/truncated.tif", [.decodeFailed]),
        ]
        for (name, codes) in cases {
            let path = TestPaths.fixture(name)
            XCTAssertThrowsError(try ImageFiles.read(path: path), name) { error in
                guard let error = error as? ImageIOError else { return XCTFail("\(name): \(error)") }
                XCTAssertTrue(codes.contains(error.code), "\(name): \(error.code)")
                XCTAssertEqual(error.path, path)
            }
        }
    }
}
