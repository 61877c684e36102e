import CohortCore
import CohortTestSupport
import XCTest

final class DisplayTests: XCTestCase {
    private func grayImage(_ values: [UInt16], photometric: Photometric) -> MedicalImage {
        let bytes = values.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        let pixels = PixelArray(format: .uint16, frames: 1, rows: 1, columns: values.count, samplesPerPixel: 1, bytes: bytes)
        let metadata = ImageMetadata(format: .dicom, rows: 1, columns: values.count, bitsAllocated: 16, bitsStored: 12)
        var image = MedicalImage(metadata: metadata, pixels: pixels, photometric: photometric)
        image.grayscale.invert = photometric == .monochrome1
        return image
    }

    func testMonochrome1IsInvertedAfterWindowingSoHigherIsBrighter() throws {
        var image = grayImage([0, 2048, 4095], photometric: .monochrome1)
        image.grayscale.windows = [Window(center: 2048, width: 4096)]
        let shown = try image.display().values
        XCTAssertEqual(shown[0], 1)
        XCTAssertEqual(shown[2], 0, accuracy: 1e-6)
        XCTAssertGreaterThan(shown[0], shown[1])
    }

    func testRescaleIsAppliedBeforeTheWindow() throws {
        var image = grayImage([50, 75], photometric: .monochrome2)
        image.grayscale.modality = .rescale(slope: 2, intercept: -100)
        image.grayscale.windows = [Window(center: 0, width: 200, function: .linearExact)]
        let shown = try image.display().values
        XCTAssertEqual(shown[0], 0.5, accuracy: 1e-6)  // 50 -> modality 0, the window's centre
        XCTAssertEqual(shown[1], 0.75, accuracy: 1e-6)  // 75 -> modality 50
    }

    func testMinMaxSelectionSpansTheFrame() throws {
        let image = grayImage([10, 20, 30], photometric: .monochrome2)
        let shown = try image.display(voi: .minMax).values
        XCTAssertEqual(shown, [0, 0.5, 1])
    }

    func testSelectingAMissingWindowThrows() {
        let image = grayImage([1], photometric: .monochrome2)
        XCTAssertThrowsError(try image.display(voi: .window(2)))
    }

    func testPixelArrayStatisticsAndFrameSlicing() {
        let array = SyntheticImages.ramp(format: .int16, rows: 3, columns: 4, frames: 2)
        let values = array.doubles()
        let stats = array.statistics()
        XCTAssertEqual(stats?.min, values.min())
        XCTAssertEqual(stats?.max, values.max())
        XCTAssertEqual(array.frame(1).doubles(), Array(values[12...]))
        XCTAssertEqual(array.pydicomShape, [2, 3, 4])
    }
}
