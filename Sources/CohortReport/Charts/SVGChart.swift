import Foundation

/// Inline SVG charts with fixed formatting (deterministic bytes): line charts with optional bands, on linear or
/// logarithmic y axes, and heatmaps.
public struct LineChart: Sendable {
    /// One line; `band` (lower and upper y at the same xs) is drawn as a translucent area behind it.
    public struct Series: Sendable {
        public var name: String
        public var points: [(x: Double, y: Double)]
        public var band: [(x: Double, lower: Double, upper: Double)]?
        public var dashed = false

        public init(name: String, points: [(x: Double, y: Double)], band: [(x: Double, lower: Double, upper: Double)]? = nil,
                    dashed: Bool = false) {
            self.name = name
            self.points = points
            self.band = band
            self.dashed = dashed
        }
    }

    public var title: String, xLabel: String, yLabel: String
    public var series: [Series]
    public var xRange: ClosedRange<Double>, yRange: ClosedRange<Double>
    public var logY = false
    /// Draws the y = x diagonal (ROC chance line, perfect calibration).
    public var diagonal = false
    public var width = 440.0, height = 360.0

    public init(title: String, xLabel: String, yLabel: String, series: [Series], xRange: ClosedRange<Double> = 0...1,
                yRange: ClosedRange<Double> = 0...1) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xRange = xRange
        self.yRange = yRange
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"]

    private var plot: (left: Double, top: Double, width: Double, height: Double) { (56, 34, width - 56 - 16, height - 34 - 70) }

    private func px(_ x: Double) -> Double { plot.left + (x - xRange.lowerBound) / (xRange.upperBound - xRange.lowerBound) * plot.width }
    private func py(_ y: Double) -> Double {
        let (low, high, value) = logY ? (log10(max(yRange.lowerBound, 1e-12)), log10(yRange.upperBound), log10(max(y, 1e-12)))
            : (yRange.lowerBound, yRange.upperBound, y)
        let t = min(max((value - low) / (high - low), -0.05), 1.05)
        return plot.top + (1 - t) * plot.height
    }

    private func f(_ v: Double) -> String { Format.fixed(v, 1) }

    /// The chart as an `<svg>` element (no XML prolog, for inlining).
    public var svg: String {
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
        out += "<title>\(Escaping.html(title))</title>\n"
        out += "<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(Escaping.html(title))</text>\n"
        out += "<rect x=\"\(f(plot.left))\" y=\"\(f(plot.top))\" width=\"\(f(plot.width))\" height=\"\(f(plot.height))\" fill=\"none\" stroke=\"#888\"/>\n"
        out += axes()
        if diagonal {
            out += "<line x1=\"\(f(px(xRange.lowerBound)))\" y1=\"\(f(py(yRange.lowerBound)))\" x2=\"\(f(px(xRange.upperBound)))\" y2=\"\(f(py(yRange.upperBound)))\" stroke=\"#aaa\" stroke-dasharray=\"4 3\"/>\n"
        }
        for (i, s) in series.enumerated() {
            let color = Self.palette[i % Self.palette.count]
            if let band = s.band, !band.isEmpty {
                let upper = band.map { "\(f(px($0.x))),\(f(py($0.upper)))" }
                let lower = band.reversed().map { "\(f(px($0.x))),\(f(py($0.lower)))" }
                out += "<polygon points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(color)\" fill-opacity=\"0.15\" stroke=\"none\"/>\n"
            }
            let points = s.points.map { "\(f(px($0.x))),\(f(py($0.y)))" }.joined(separator: " ")
            out += "<polyline points=\"\(points)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"1.8\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>\n"
        }
        out += legend()
        return out + "</svg>\n"
    }

    private func axes() -> String {
        var out = ""
        for i in 0...4 {
            let x = xRange.lowerBound + Double(i) / 4 * (xRange.upperBound - xRange.lowerBound)
            out += "<text x=\"\(f(px(x)))\" y=\"\(f(plot.top + plot.height + 14))\" text-anchor=\"middle\">\(Format.fixed(x, xRange.upperBound > 10 ? 0 : 2))</text>\n"
        }
        let ticks: [Double] = logY
            ? stride(from: floor(log10(max(yRange.lowerBound, 1e-12))), through: ceil(log10(yRange.upperBound)), by: 1).map { pow10($0) }
            : (0...4).map { yRange.lowerBound + Double($0) / 4 * (yRange.upperBound - yRange.lowerBound) }
        for y in ticks where y >= yRange.lowerBound * 0.999 && y <= yRange.upperBound * 1.001 {
            out += "<text x=\"\(f(plot.left - 4))\" y=\"\(f(py(y) + 4))\" text-anchor=\"end\">\(logY ? "1e\(Int(log10(y).rounded()))" : Format.fixed(y, 2))</text>\n"
        }
        out += "<text x=\"\(f(plot.left + plot.width / 2))\" y=\"\(f(plot.top + plot.height + 30))\" text-anchor=\"middle\">\(Escaping.html(xLabel))</text>\n"
        out += "<text transform=\"translate(14 \(f(plot.top + plot.height / 2))) rotate(-90)\" text-anchor=\"middle\">\(Escaping.html(yLabel))</text>\n"
        return out
    }

    private func legend() -> String {
        var out = ""
        for (i, s) in series.enumerated() {
            let y = plot.top + plot.height + 44 + Double(i / 2) * 13, x = plot.left + Double(i % 2) * plot.width / 2
            let color = Self.palette[i % Self.palette.count]
            out += "<line x1=\"\(f(x))\" y1=\"\(f(y - 4))\" x2=\"\(f(x + 16))\" y2=\"\(f(y - 4))\" stroke=\"\(color)\" stroke-width=\"2\"\(s.dashed ? " stroke-dasharray=\"5 3\"" : "")/>"
            out += "<text x=\"\(f(x + 20))\" y=\"\(f(y))\">\(Escaping.html(s.name))</text>\n"
        }
        return out
    }

    private func pow10(_ e: Double) -> Double {
        var v = 1.0
        for _ in 0..<Int(abs(e)) { v = e > 0 ? v * 10 : v / 10 }
        return v
    }
}

/// A confusion-matrix heatmap: counts with row shares as shading.
public struct Heatmap: Sendable {
    public var title: String
    public var classes: [String]
    public var counts: [[Int]]

    public init(title: String, classes: [String], counts: [[Int]]) {
        self.title = title
        self.classes = classes
        self.counts = counts
    }

    public var svg: String {
        let n = classes.count, cell = 56.0, left = 110.0, top = 60.0
        let width = left + Double(n) * cell + 16, height = top + Double(n) * cell + 40
        func f(_ v: Double) -> String { Format.fixed(v, 1) }
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(f(width))\" height=\"\(f(height))\" viewBox=\"0 0 \(f(width)) \(f(height))\" role=\"img\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"11\">\n"
        out += "<title>\(Escaping.html(title))</title>\n<text x=\"\(f(width / 2))\" y=\"18\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">\(Escaping.html(title))</text>\n"
        out += "<text x=\"\(f(left + Double(n) * cell / 2))\" y=\"36\" text-anchor=\"middle\">predicted</text>\n"
        for (j, name) in classes.enumerated() {
            out += "<text x=\"\(f(left + (Double(j) + 0.5) * cell))\" y=\"52\" text-anchor=\"middle\">\(Escaping.html(name))</text>\n"
        }
        for (i, name) in classes.enumerated() {
            let total = max(counts[i].reduce(0, +), 1)
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(top + (Double(i) + 0.5) * cell + 4))\" text-anchor=\"end\">\(Escaping.html(name))</text>\n"
            for j in 0..<n {
                let share = Double(counts[i][j]) / Double(total)
                let x = left + Double(j) * cell, y = top + Double(i) * cell
                out += "<rect x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(cell))\" height=\"\(f(cell))\" fill=\"#1f77b4\" fill-opacity=\"\(Format.fixed(0.08 + 0.85 * share, 3))\" stroke=\"#fff\"/>"
                out += "<text x=\"\(f(x + cell / 2))\" y=\"\(f(y + cell / 2 + 4))\" text-anchor=\"middle\" fill=\"\(share > 0.55 ? "#fff" : "#000")\">\(counts[i][j])</text>\n"
            }
        }
        out += "<text x=\"12\" y=\"\(f(top + Double(n) * cell / 2))\" transform=\"rotate(-90 12 \(f(top + Double(n) * cell / 2)))\" text-anchor=\"middle\">true</text>\n"
        return out + "</svg>\n"
    }
}
