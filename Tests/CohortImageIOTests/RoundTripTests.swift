import CohortCore
import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// Writers and readers agree bit for bit at every depth they support.
final class RoundTripTests: XCTestCase {
    private var folder: TemporaryFolder!

    override func setUpWithError() throws { folder = try TemporaryFolder(prefix: "cohort-roundtrip") }
    override func tearDown() { folder = nil }  // removes the folder

    func testPNGRoundTripIsExactFor8And16BitGrayAndRGB() throws {
        for (format, samples) in [(SampleFormat.uint8, 1), (.uint16, 1), (.uint8, 3), (.uint16, 3), (.uint8, 4)] {
            let original = SyntheticImages.ramp(format: format, rows: 17, columns: 23, samples: samples)
            let path = folder.file("\(format)-\(samples).png")
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
            let path = folder.file("case\(index).tif")
            try TIFFWriter.write(original, to: path)
            let read = try XCTUnwrap(try ImageFiles.read(path: path).pixels)
            XCTAssertEqual(read, original, "case \(index)")
        }
    }

    func testPNGWriterRefusesSignedSamplesWithAHint() {
        let signed = SyntheticImages.ramp(format: .int16, rows: 2, columns: 2)
        XCTAssertThrowsError(try PNGWriter.write(signed, to: folder.file("x.png"))) { error in
            XCTAssertEqual((error as? ImageIOError)?.code, .writeFailed)
        }
    }

    func testFormatIsDetectedFromContentNotExtension() throws {
        let original = SyntheticImages.ramp(format: .uint8, rows: 3, columns: 3)
        let path = folder.file("misnamed.dcm")
        try PNGWriter.write(original, to: path)
        XCTAssertEqual(ImageFiles.detectFormat(path: path), .png)
        XCTAssertEqual(try ImageFiles.read(path: path).pixels, original)
    }
}
