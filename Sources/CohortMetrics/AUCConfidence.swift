import CohortCore
import Foundation

/// An estimate with a two-sided confidence interval.
public struct Interval: Sendable, Equatable {
    public var estimate: Double, lower: Double, upper: Double
    /// Confidence level, e.g. 0.95.
    public var level: Double
}

/// The outcome of DeLong's test comparing two correlated AUCs on the same samples.
public struct AUCComparison: Sendable, Equatable {
    public var aucA: Double, aucB: Double
    /// aucA - aucB, its standard error, the z statistic and the two-sided p-value.
    public var difference: Double, standardError: Double, z: Double, pValue: Double
    /// Confidence interval of the difference.
    public var differenceInterval: Interval
}

/// AUC uncertainty: DeLong et al. (1988) variance through the fast algorithm of Sun & Xu (2014), and a seeded
/// stratified bootstrap.
public enum AUCConfidence {
    /// Structural components of one model's scores: per positive and per negative sample, the share of the other
    /// class it outranks (ties one half). Their means are the AUC.
    struct Components {
        var positive: [Double], negative: [Double]
        var auc: Double { positive.reduce(0, +) / Double(positive.count) }
    }

    static func components(labels: [Int], scores: [Double]) -> Components? {
        let positives = labels.indices.filter { labels[$0] == 1 }.map { scores[$0] }
        let negatives = labels.indices.filter { labels[$0] != 1 }.map { scores[$0] }
        guard !positives.isEmpty, !negatives.isEmpty else { return nil }
        // Midranks (Sun & Xu): rank in the pooled sample minus rank within the own class.
        let pooledRanks = midranks(positives + negatives)
        let positiveRanks = midranks(positives), negativeRanks = midranks(negatives)
        let m = Double(positives.count), n = Double(negatives.count)
        let v10 = positives.indices.map { (pooledRanks[$0] - positiveRanks[$0]) / n }
        let v01 = negatives.indices.map { 1 - (pooledRanks[positives.count + $0] - negativeRanks[$0]) / m }
        return Components(positive: v10, negative: v01)
    }

    /// 1-based ranks with ties given the mean of their ranks.
    static func midranks(_ values: [Double]) -> [Double] {
        let order = RadixSort.ascendingOrder(values)
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let rank = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = rank }
            i = j + 1
        }
        return ranks
    }

    private static func covariance(_ a: [Double], _ b: [Double]) -> Double {
        let n = Double(a.count)
        guard n > 1 else { return 0 }
        let ma = a.reduce(0, +) / n, mb = b.reduce(0, +) / n
        return zip(a, b).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) } / (n - 1)
    }

    /// The DeLong interval: AUC +- z * SE, clipped to [0, 1]. Nil when a class is absent.
    public static func delong(labels: [Int], scores: [Double], level: Double = 0.95) -> Interval? {
        guard let c = components(labels: labels, scores: scores) else { return nil }
        let variance = covariance(c.positive, c.positive) / Double(c.positive.count)
            + covariance(c.negative, c.negative) / Double(c.negative.count)
        let half = Normal.quantile(0.5 + level / 2) * max(variance, 0).squareRoot()
        let auc = c.auc
        return Interval(estimate: auc, lower: max(0, auc - half), upper: min(1, auc + half), level: level)
    }

    /// DeLong's test of two models scored on the same samples (correlated ROC curves).
    public static func compare(labels: [Int], scoresA: [Double], scoresB: [Double], level: Double = 0.95) -> AUCComparison? {
        precondition(scoresA.count == scoresB.count, "the two models must score the same samples")
        guard let a = components(labels: labels, scores: scoresA), let b = components(labels: labels, scores: scoresB) else { return nil }
        let m = Double(a.positive.count), n = Double(a.negative.count)
        let varA = covariance(a.positive, a.positive) / m + covariance(a.negative, a.negative) / n
        let varB = covariance(b.positive, b.positive) / m + covariance(b.negative, b.negative) / n
        let cov = covariance(a.positive, b.positive) / m + covariance(a.negative, b.negative) / n
        let difference = a.auc - b.auc
        let se = max(varA + varB - 2 * cov, 0).squareRoot()
        let z = se > 0 ? difference / se : 0
        let p = se > 0 ? erfc(abs(z) / 2.0.squareRoot()) : 1
        let half = Normal.quantile(0.5 + level / 2) * se
        return AUCComparison(aucA: a.auc, aucB: b.auc, difference: difference, standardError: se, z: z, pValue: p,
                             differenceInterval: Interval(estimate: difference, lower: difference - half,
                                                          upper: difference + half, level: level))
    }

    /// Percentile bootstrap interval: `resamples` stratified resamples (positives and negatives resampled
    /// separately, so every resample has both classes), drawn from `SeededGenerator(seed)`.
    /// Scores are sorted once; each resample is a vector of multiplicities scanned in that order.
    public static func bootstrap(labels: [Int], scores: [Double], resamples: Int = 1000, seed: UInt64 = 0,
                                 level: Double = 0.95, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> Interval? {
        guard let estimate = ROC.auc(labels: labels, scores: scores), resamples > 0 else { return nil }
        let sorted = SortedScores(labels: labels, scores: scores)
        var areas = [Double](repeating: 0, count: resamples)
        let workers = max(1, min(threads, resamples))
        areas.withUnsafeMutableBufferPointer { out in
            let results = out
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                var weights = [Double](repeating: 0, count: sorted.positive.count)
                for r in stride(from: worker, to: resamples, by: workers) {
                    var generator = SeededGenerator(seed: seed, stream: UInt64(r))
                    sorted.resample(into: &weights, using: &generator)
                    results[r] = weightedAUC(weights, sortedPositive: sorted.positive, groupEnds: sorted.groupEnds)
                }
            }
        }
        areas.sort()
        let alpha = (1 - level) / 2
        return Interval(estimate: estimate, lower: Quantiles.linear(areas, alpha), upper: Quantiles.linear(areas, 1 - alpha),
                        level: level)
    }

    private static func weightedAUC(_ weights: [Double], sortedPositive: [Bool], groupEnds: [Int]) -> Double {
        var area = 0.0, tp = 0.0, fp = 0.0, start = 0
        for end in groupEnds {
            var gtp = 0.0, gfp = 0.0
            for k in start..<end { if sortedPositive[k] { gtp += weights[k] } else { gfp += weights[k] } }
            area += gfp * (tp + tp + gtp) / 2
            tp += gtp
            fp += gfp
            start = end
        }
        return tp > 0 && fp > 0 ? area / (tp * fp) : .nan
    }
}

/// Scores sorted once (descending) for stratified resampling: which sorted slots are positive, where groups of
/// tied scores end, and the slots of each class.
struct SortedScores {
    let positive: [Bool]
    let groupEnds: [Int]
    let positiveSlots: [Int], negativeSlots: [Int]

    init(labels: [Int], scores: [Double]) {
        let order = Array(RadixSort.ascendingOrder(scores).reversed())
        let flags = order.map { labels[$0] == 1 }
        positive = flags
        var ends: [Int] = []
        for k in order.indices where k == order.count - 1 || scores[order[k + 1]] != scores[order[k]] { ends.append(k + 1) }
        groupEnds = ends
        positiveSlots = flags.indices.filter { flags[$0] }
        negativeSlots = flags.indices.filter { !flags[$0] }
    }

    /// Multiplicities of one resample: as many positives and negatives as there are, each drawn with replacement
    /// from its own class (positives first, then negatives, from `generator`).
    func resample(into weights: inout [Double], using generator: inout SeededGenerator) {
        for i in weights.indices { weights[i] = 0 }
        for _ in positiveSlots.indices { weights[positiveSlots[Int(generator.next() % UInt64(positiveSlots.count))]] += 1 }
        for _ in negativeSlots.indices { weights[negativeSlots[Int(generator.next() % UInt64(negativeSlots.count))]] += 1 }
    }
}

/// Standard normal distribution helpers.
public enum Normal {
    /// The p-quantile (Acklam's rational approximation refined by one Newton step on erfc; |error| < 1e-12).
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile needs 0 < p < 1, got \(p)")
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02, 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02, 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00, -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00, 3.754408661907416e+00]
        var x: Double
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else if p > 1 - 0.02425 {
            let q = (-2 * log(1 - p)).squareRoot()
            x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        }
        let e = 0.5 * erfc(-x / 2.0.squareRoot()) - p
        let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
        return x - u / (1 + x * u / 2)
    }

    /// The cumulative distribution function.
    public static func cdf(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }
}

/// Quantiles of sorted values.
public enum Quantiles {
    /// Linear interpolation between order statistics (NumPy's default `linear` method).
    public static func linear(_ sorted: [Double], _ q: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = q * Double(sorted.count - 1)
        let low = Int(position.rounded(.down)), high = min(low + 1, sorted.count - 1)
        return sorted[low] + (sorted[high] - sorted[low]) * (position - Double(low))
    }
}
