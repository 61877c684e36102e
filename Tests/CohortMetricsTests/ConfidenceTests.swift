import CohortCore
@testable import CohortMetrics
import XCTest

final class ConfidenceTests: XCTestCase {
    /// DeLong's variance from its definition: structural components by direct comparison of every pair.
    private func bruteForceDeLongVariance(labels: [Int], scores: [Double]) -> Double {
        let positives = labels.indices.filter { labels[$0] == 1 }.map { scores[$0] }
        let negatives = labels.indices.filter { labels[$0] != 1 }.map { scores[$0] }
        func psi(_ x: Double, _ y: Double) -> Double { x > y ? 1 : x == y ? 0.5 : 0 }
        let v10 = positives.map { x in negatives.reduce(0) { $0 + psi(x, $1) } / Double(negatives.count) }
        let v01 = negatives.map { y in positives.reduce(0) { $0 + psi($1, y) } / Double(positives.count) }
        func variance(_ v: [Double]) -> Double {
            let mean = v.reduce(0, +) / Double(v.count)
            return v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count - 1)
        }
        return variance(v10) / Double(v10.count) + variance(v01) / Double(v01.count)
    }

    func testFastDeLongEqualsTheDefinitionIncludingTies() {
        var generator = SeededGenerator(seed: 8)
        for _ in 0..<20 {
            let n = 10 + Int(generator.next() % 150)
            var labels = (0..<n).map { _ in generator.nextUnit() < 0.4 ? 1 : 0 }
            labels[0] = 1; labels[1] = 0
            let scores = labels.map { (generator.nextUnit() * 5 + Double($0) * 2).rounded() }
            let interval = AUCConfidence.delong(labels: labels, scores: scores)!
            let se = bruteForceDeLongVariance(labels: labels, scores: scores).squareRoot()
            XCTAssertEqual(interval.estimate, ROC.auc(labels: labels, scores: scores)!, accuracy: 1e-12)
            XCTAssertEqual(min(1, interval.estimate + 1.959963984540054 * se), interval.upper, accuracy: 1e-9)
        }
    }

    func testBootstrapAgreesWithDeLongOnALargeSampleAndRepeatsWithItsSeed() {
        var generator = SeededGenerator(seed: 9)
        let labels = (0..<3000).map { _ in generator.nextUnit() < 0.3 ? 1 : 0 }
        let scores = labels.map { generator.nextUnit() + 0.6 * Double($0) }
        let delong = AUCConfidence.delong(labels: labels, scores: scores)!
        let boot = AUCConfidence.bootstrap(labels: labels, scores: scores, resamples: 400, seed: 3)!
        XCTAssertEqual(boot.lower, delong.lower, accuracy: 0.01)
        XCTAssertEqual(boot.upper, delong.upper, accuracy: 0.01)
        XCTAssertEqual(AUCConfidence.bootstrap(labels: labels, scores: scores, resamples: 400, seed: 3, threads: 1), boot,
                       "the same seed gives the same interval whatever the thread count")
    }

    func testDeLongComparisonOfAModelWithItselfAndWithNoise() {
        var generator = SeededGenerator(seed: 10)
        let labels = (0..<500).map { _ in generator.nextUnit() < 0.5 ? 1 : 0 }
        let good = labels.map { generator.nextUnit() + Double($0) }
        let noise = labels.map { _ in generator.nextUnit() }
        let same = AUCConfidence.compare(labels: labels, scoresA: good, scoresB: good)!
        XCTAssertEqual(same.difference, 0)
        XCTAssertEqual(same.pValue, 1)
        let different = AUCConfidence.compare(labels: labels, scoresA: good, scoresB: noise)!
        XCTAssertGreaterThan(different.difference, 0.3)
        XCTAssertLessThan(different.pValue, 1e-10)
    }

    func testWilsonIntervalsAndNormalQuantilesMatchPublishedValues() {
        // Newcombe (1998), table I: 81 of 263 -> 0.2553 to 0.3662 (Wilson score method).
        let p = Proportion(successes: 81, trials: 263)
        XCTAssertEqual(p.interval.lower, 0.2553, accuracy: 5e-5)
        XCTAssertEqual(p.interval.upper, 0.3662, accuracy: 5e-5)
        let zero = Proportion(successes: 0, trials: 10)
        XCTAssertEqual(zero.interval.lower, 0)
        XCTAssertEqual(zero.interval.upper, 0.2775, accuracy: 5e-5)
        XCTAssertEqual(Normal.quantile(0.975), 1.959963984540054, accuracy: 1e-12)
        XCTAssertEqual(Normal.quantile(0.001), -3.090232306167813, accuracy: 1e-12)
        XCTAssertEqual(Normal.cdf(1.959963984540054), 0.975, accuracy: 1e-15)
    }

    func testOperatingPointsAndThresholdChoices() {
        let labels = [1, 1, 1, 1, 0, 0, 0, 0]
        let scores = [0.9, 0.8, 0.6, 0.3, 0.7, 0.2, 0.1, 0.05]
        let point = OperatingPoint(labels: labels, scores: scores, threshold: 0.5)
        XCTAssertEqual([point.truePositives, point.falsePositives, point.trueNegatives, point.falseNegatives], [3, 1, 3, 1])
        XCTAssertEqual(point.sensitivity.interval.estimate, 0.75)
        // Hand-computed J: 0.9 -> .25, 0.8 -> .5, 0.7 -> .25, 0.6 -> .5, 0.3 -> .75 (best), 0.2 -> .5, ...
        XCTAssertEqual(Thresholds.youden(labels: labels, scores: scores), 0.3)
        XCTAssertEqual(Thresholds.atSensitivity(1, labels: labels, scores: scores), 0.3)
        XCTAssertEqual(Thresholds.atSensitivity(0.75, labels: labels, scores: scores), 0.6)
    }
}
