import CohortMetrics
import CohortTestSupport
import Foundation
import XCTest

/// Segmentation metrics against MONAI (fixtures/metrics/generate_segmentation.py) and the declared policy for
/// empty masks.
final class SegmentationMetricsTests: XCTestCase {
    private struct Fixture: Decodable {
        var generator: String
        var cases: [Case]
    }

    private struct Case: Decodable {
        var name: String, height: Int, width: Int, spacing: [Double]
        var reference: String, predicted: String
        var monai: [String: Double]?
    }

    private func bits(_ text: String) -> [Bool] { text.map { $0 == "1" } }

    func testDiceIoUHD95AndSurfaceDistanceMatchMONAI() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("metrics/segmentation_cases.json")))
        let fixture = try JSONDecoder().decode(Fixture.self, from: data)
        var compared = 0
        for c in fixture.cases {
            guard let expected = c.monai else { continue }
            let s = SegmentationMetrics.scores(reference: bits(c.reference), predicted: bits(c.predicted), height: c.height, width: c.width,
                                               spacing: (c.spacing[0], c.spacing[1]))
            XCTAssertEqual(s.dice, expected["dice"]!, accuracy: 1e-6, "\(c.name) dice")
            XCTAssertEqual(s.iou, expected["iou"]!, accuracy: 1e-6, "\(c.name) iou")
            XCTAssertEqual(try XCTUnwrap(s.hausdorff95), expected["hd95"]!, accuracy: 1e-5, "\(c.name) hd95 (\(fixture.generator))")
            XCTAssertEqual(try XCTUnwrap(s.averageSurfaceDistance), expected["asd"]!, accuracy: 1e-5, "\(c.name) asd")
            compared += 1
        }
        XCTAssertGreaterThanOrEqual(compared, 15, "the fixture should hold at least 15 comparable pairs")
    }

    func testEmptyMasksFollowTheDeclaredPolicy() {
        let empty = [Bool](repeating: false, count: 16)
        var some = empty
        some[5] = true
        let none = SegmentationMetrics.scores(reference: empty, predicted: empty, height: 4, width: 4)
        XCTAssertEqual([none.dice, none.iou, none.hausdorff95, none.averageSurfaceDistance], [1, 1, 0, 0])
        XCTAssertNil(none.sensitivity)
        XCTAssertNil(none.precision)
        let falseAlarm = SegmentationMetrics.scores(reference: empty, predicted: some, height: 4, width: 4)
        XCTAssertEqual([falseAlarm.dice, falseAlarm.iou, falseAlarm.precision], [0, 0, 0])
        XCTAssertNil(falseAlarm.sensitivity)
        XCTAssertNil(falseAlarm.hausdorff95)
        let missed = SegmentationMetrics.scores(reference: some, predicted: empty, height: 4, width: 4)
        XCTAssertEqual([missed.dice, missed.iou, missed.sensitivity], [0, 0, 0])
        XCTAssertNil(missed.precision)
        XCTAssertNil(missed.averageSurfaceDistance)
    }

    func testIdenticalMasksAgreeAndShiftedSquaresAreOneSpacingApart() {
        let (h, w) = (20, 30)
        func square(_ left: Int) -> [Bool] { (0..<(h * w)).map { i in (5..<12).contains(i / w) && (left..<(left + 8)).contains(i % w) } }
        let same = SegmentationMetrics.scores(reference: square(4), predicted: square(4), height: h, width: w)
        XCTAssertEqual([same.dice, same.iou, same.sensitivity, same.precision, same.hausdorff95, same.averageSurfaceDistance], [1, 1, 1, 1, 0, 0])
        // A one-column shift moves the left and right edges by one column: with a column spacing of 0.5 mm the
        // farthest surface pixel is 0.5 mm from the other surface.
        let shifted = SegmentationMetrics.scores(reference: square(4), predicted: square(5), height: h, width: w, spacing: (2, 0.5))
        XCTAssertEqual(shifted.hausdorff95!, 0.5, accuracy: 1e-12)
        XCTAssertEqual(shifted.dice, 2 * 49.0 / 112, accuracy: 1e-12)
        XCTAssertEqual(shifted.iou, 49.0 / 63, accuracy: 1e-12)
    }

    func testDistanceTransformMatchesBruteForceOnRandomSites() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let (h, w) = (Int.random(in: 1...15, using: &generator), Int.random(in: 1...15, using: &generator))
            let a = (0..<(h * w)).map { _ in Double.random(in: 0..<1, using: &generator) < 0.3 }
            let b = (0..<(h * w)).map { _ in Double.random(in: 0..<1, using: &generator) < 0.2 }
            guard a.contains(true), b.contains(true) else { continue }
            let spacing = (Double.random(in: 0.1...3, using: &generator), Double.random(in: 0.1...3, using: &generator))
            let s = SegmentationMetrics.scores(reference: a, predicted: b, height: h, width: w, spacing: spacing)
            let sa = SegmentationMetrics.surface(a, height: h, width: w), sb = SegmentationMetrics.surface(b, height: h, width: w)
            func nearest(_ i: Int, _ set: [Bool]) -> Double {
                set.indices.filter { set[$0] }.map { j -> Double in
                    let dy = Double(i / w - j / w) * spacing.0, dx = Double(i % w - j % w) * spacing.1
                    return (dy * dy + dx * dx).squareRoot()
                }.min()!
            }
            let forward = sb.indices.filter { sb[$0] }.map { nearest($0, sa) }
            let backward = sa.indices.filter { sa[$0] }.map { nearest($0, sb) }
            let asd = (forward.reduce(0, +) + backward.reduce(0, +)) / Double(forward.count + backward.count)
            XCTAssertEqual(s.averageSurfaceDistance!, asd, accuracy: 1e-9)
            let hd = max(Quantiles.linear(forward.sorted(), 0.95), Quantiles.linear(backward.sorted(), 0.95))
            XCTAssertEqual(s.hausdorff95!, hd, accuracy: 1e-9)
        }
    }

    func testSummaryMeansSkipUndefinedValuesAndBootstrapBracketsTheMean() {
        let full = [Bool](repeating: true, count: 4), empty = [Bool](repeating: false, count: 4)
        var half = empty
        half[0] = true
        half[1] = true
        let scores = [SegmentationMetrics.scores(reference: full, predicted: full, height: 2, width: 2),
                      SegmentationMetrics.scores(reference: full, predicted: half, height: 2, width: 2),
                      SegmentationMetrics.scores(reference: full, predicted: empty, height: 2, width: 2)]
        let summary = SegmentationMetrics.summarize(scores, resamples: 200, seed: 3)
        let dice = summary.first { $0.name == "dice" }!
        XCTAssertEqual(dice.mean!, (1 + 2.0 / 3 + 0) / 3, accuracy: 1e-12)
        XCTAssertLessThanOrEqual(dice.interval!.lower, dice.mean!)
        XCTAssertGreaterThanOrEqual(dice.interval!.upper, dice.mean!)
        let hd = summary.first { $0.name == "hd95" }!
        XCTAssertEqual(hd.defined, 2)
        XCTAssertEqual(hd.undefined, 1)
        XCTAssertEqual(SegmentationMetrics.summarize(scores, resamples: 200, seed: 3), summary, "same seed, same intervals")
    }
}
