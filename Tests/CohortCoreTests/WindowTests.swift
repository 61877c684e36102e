import CohortCore
import XCTest

final class WindowTests: XCTestCase {
    // Hand-computed from PS3.3 C.11.2.1.2.1: c=2048, w=4096 -> bounds 2047.5 -/+ 2047.5.
    func testLinearWindowFollowsTheStandardsFormula() {
        let window = Window(center: 2048, width: 4096)
        XCTAssertEqual(window(0), 0)
        XCTAssertEqual(window(4095.5), 1)
        XCTAssertEqual(window(2047.5), 0.5, accuracy: 1e-12)
        XCTAssertEqual(window(1000), (1000 - 2047.5) / 4095 + 0.5, accuracy: 1e-12)
    }

    func testLinearExactWindowHasNoHalfPixelOffset() {
        let window = Window(center: 100, width: 50, function: .linearExact)
        XCTAssertEqual(window(75), 0)
        XCTAssertEqual(window(100), 0.5, accuracy: 1e-12)
        XCTAssertEqual(window(125), 1, accuracy: 1e-12)
    }

    func testSigmoidWindowIsHalfAtCenterAndMonotone() {
        let window = Window(center: 500, width: 200, function: .sigmoid)
        XCTAssertEqual(window(500), 0.5, accuracy: 1e-12)
        XCTAssertEqual(window(600), 1 / (1 + exp(-2)), accuracy: 1e-12)
        XCTAssertLessThan(window(400), window(401))
    }

    func testLookupTableClampsBelowAndAboveItsRange() {
        let table = LookupTable(firstMapped: 10, bitsPerEntry: 8, entries: [1, 2, 3])
        XCTAssertEqual(table(0), 1)
        XCTAssertEqual(table(11), 2)
        XCTAssertEqual(table(1000), 3)
        XCTAssertEqual(table.outputMaximum, 255)
    }
}
