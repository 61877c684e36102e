import CohortCore
import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// Writers and readers agree bit for bit at every depth they support.
final class RoundTripTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("cohort-roundtrip-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func testPNGRoundTripIsExactFor8And16BitGrayAndRGB() throws {
        for (format, samples) in [(SampleFormat.uint8, 1), (.uint16, 1), (.uint8, 3), (.uint16, 3), (.uint8, 4)] {
            let original = SyntheticImages.ramp(format: format, rows: 17, columns: 23, samples: samples)
            let path = folder.appendingPathComponent("\(format)-\(samples).png").path
            try PNGWriter.write(original, to: path)
            let read = try XCTUnwrap(try ImageFiles.read(path: path).pixels)
            XCTAssertEqual(read, original, "\(format) x\(samples)")
        }
    }

    func testTIFFRoundTripIsExactFor16BitGrayFloat32AndMultiPage() throws {
        let cases = [SyntheticImages.ramp(format: .uint16, rows: 19, columns: 31),
                     SyntheticImages.ramp(format: .float32, rows: 8, columns: 9),
                     SyntheticImages.ramp(format: .uint8, rows: 5, columns: 7, samples: 3),
                     SyntheticImages.ramp(format: .uint16, rows: 6, columns: 4, frames: 3)]
        for (index, original) in cases.enumerated() {
            let path = folder.appendingPathComponent("case\(index).tif").path
            try TIFFWriter.write(original, to: path)
            let read = try XCTUnwrap(try ImageFiles.read(path: path).pixels)
            XCTAssertEqual(read, original, "case \(index)")
        }
    }

    func testPNGWriterRefusesSignedSamplesWithAHint() {
        let signed = SyntheticImages.ramp(format: .int16, rows: 2, columns: 2)
        XCTAssertThrowsError(try PNGWriter.write(signed, to: folder.appendingPathComponent("x.png").path)) { error in
            XCTAssertEqual((error as? ImageIOError)?.code, .writeFailed)
        }
    }

    func testFormatIsDetectedFromContentNotExtension() throws {
        let original = SyntheticImages.ramp(format: .uint8, rows: 3, columns: 3)
        let path = folder.appendingPathComponent("misnamed.dcm").path
        try PNGWriter.write(original, to: path)
        XCTAssertEqual(ImageFiles.detectFormat(path: path), .png)
        XCTAssertEqual(try ImageFiles.read(path: path).pixels, original)
    }
}
