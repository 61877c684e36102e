import CohortCore
import CohortMetrics
import XCTest

/// Bootstrap intervals of accuracy, balanced accuracy, macro and weighted F1: point estimates equal the report's,
/// degenerate cases, seeding, and coverage of a known population value over simulated test sets.
final class DecisionBootstrapTests: XCTestCase {
    /// Draws `n` decisions per class from a row-stochastic confusion matrix of probabilities.
    private func simulate(counts: [Int], confusion: [[Double]], using generator: inout SeededGenerator) -> (truth: [Int], predicted: [Int]) {
        var truth: [Int] = [], predicted: [Int] = []
        for (c, n) in counts.enumerated() {
            for _ in 0..<n {
                let u = Double.random(in: 0..<1, using: &generator)
                var cumulative = 0.0, decision = confusion[c].count - 1
                for (k, p) in confusion[c].enumerated() {
                    cumulative += p
                    if u < cumulative { decision = k; break }
                }
                truth.append(c)
                predicted.append(decision)
            }
        }
        return (truth, predicted)
    }

    func testEstimatesAreTheReportsAndIntervalsHoldThem() throws {
        var generator = SeededGenerator(seed: 3)
        let data = simulate(counts: [70, 34, 21], confusion: [[0.8, 0.15, 0.05], [0.3, 0.6, 0.1], [0.4, 0.2, 0.4]], using: &generator)
        let m = ConfusionMatrix(truth: data.truth, predicted: data.predicted, classCount: 3)
        let report = ClassificationReport(m)
        let d = try XCTUnwrap(DecisionBootstrap.intervals(truth: data.truth, predicted: data.predicted, classCount: 3, resamples: 500, seed: 1))
        XCTAssertEqual(d.accuracy.estimate, report.accuracy)
        XCTAssertEqual(d.balancedAccuracy.estimate, Agreement.balancedAccuracy(m))
        XCTAssertEqual(d.macroF1.estimate, report.macro.f1)
        XCTAssertEqual(d.weightedF1.estimate, report.weighted.f1)
        for i in [d.accuracy, d.balancedAccuracy, d.macroF1, d.weightedF1] {
            XCTAssertLessThan(i.lower, i.estimate)
            XCTAssertGreaterThan(i.upper, i.estimate)
            XCTAssertLessThan(i.upper - i.lower, 0.4, "125 samples give intervals of about +-0.08")
        }
        // Seeded: the same seed, the same intervals, whatever the thread count; another seed moves them.
        let again = DecisionBootstrap.intervals(truth: data.truth, predicted: data.predicted, classCount: 3, resamples: 500, seed: 1, threads: 1)
        XCTAssertEqual(again, d)
        let other = DecisionBootstrap.intervals(truth: data.truth, predicted: data.predicted, classCount: 3, resamples: 500, seed: 2)
        XCTAssertNotEqual(other?.weightedF1.lower, d.weightedF1.lower)
        // Perfect decisions: every resample is perfect.
        let perfect = try XCTUnwrap(DecisionBootstrap.intervals(truth: data.truth, predicted: data.truth, classCount: 3, resamples: 100))
        XCTAssertEqual([perfect.weightedF1.lower, perfect.weightedF1.upper, perfect.accuracy.lower], [1, 1, 1])
        XCTAssertNil(DecisionBootstrap.intervals(truth: [], predicted: [], classCount: 3))
    }

    /// Over simulated test sets of 125 samples, the 95% interval of weighted F1 contains the population's value
    /// about 95% of the time (the population value from the confusion probabilities with the fixed class counts).
    func testWeightedF1IntervalsCoverThePopulationValue() {
        let counts = [70, 34, 21]
        let confusion = [[0.8, 0.15, 0.05], [0.3, 0.6, 0.1], [0.4, 0.2, 0.4]]
        let n = Double(counts.reduce(0, +))
        let share = counts.map { Double($0) / n }
        var population = 0.0
        for c in 0..<3 {
            let recall = confusion[c][c]
            let predictedShare = (0..<3).map { share[$0] * confusion[$0][c] }.reduce(0, +)
            let precision = share[c] * confusion[c][c] / predictedShare
            population += share[c] * 2 * precision * recall / (precision + recall)
        }
        var generator = SeededGenerator(seed: 17)
        let trials = 160
        var covered = 0, widths = 0.0
        for t in 0..<trials {
            let data = simulate(counts: counts, confusion: confusion, using: &generator)
            let i = DecisionBootstrap.intervals(truth: data.truth, predicted: data.predicted, classCount: 3, resamples: 300, seed: UInt64(t))!.weightedF1
            if i.lower <= population && population <= i.upper { covered += 1 }
            widths += i.upper - i.lower
        }
        let coverage = Double(covered) / Double(trials)
        XCTAssertGreaterThan(coverage, 0.86, "coverage \(coverage), population weighted F1 \(population)")
        XCTAssertLessThan(coverage, 0.995, "coverage \(coverage): intervals too wide (mean width \(widths / Double(trials)))")
    }
}
