import CohortCore
import CohortImageIO
import CohortTestSupport
import Foundation
import XCTest

/// Every file of ../shared/data/tiff/inventory.csv against tifffile's decode.
final class TIFFConformanceTests: XCTestCase {
    func testEveryInventoryFileMatchesTifffile() throws {
        guard let shared = TestPaths.sharedData else { throw XCTSkip(TestPaths.sharedDataMissing) }
        let root = shared.appendingPathComponent("tiff")
        let table = CSVTable(text: try String(contentsOf: root.appendingPathComponent("inventory.csv"), encoding: .utf8))
        var exact = 0
        for row in table.rows {
            let relative = row["path"] ?? ""
            let image = try ImageFiles.read(path: root.appendingPathComponent(relative).path)
            let pixels = try XCTUnwrap(image.pixels)
            XCTAssertEqual(pixels.format.numpyName, row["dtype"], relative)
            if relative.hasSuffix("_jpg.tif") {
                let stats = try XCTUnwrap(pixels.statistics())
                XCTAssertEqual(stats.mean, Double(row["mean"] ?? "") ?? 0, accuracy: 2.0, relative)
            } else {
                XCTAssertEqual(SHA256.hex(pixels.bytes), row["sha256"], relative)
                exact += 1
            }
        }
        print("TIFF conformance: \(exact) exact of \(table.rows.count)")
    }
}
