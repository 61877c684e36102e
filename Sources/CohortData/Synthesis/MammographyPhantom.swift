import CohortCore
import Foundation

/// A synthetic mammogram: a breast-shaped region against the chest wall with fibroglandular texture, skin-line
/// fall-off, a pectoral muscle on MLO views, an optional mass-like lesion, quantum noise and a burned-in marker.
/// Values are attenuation in [0, 1], row-major, chest wall on the left (flip for a right breast).
public struct MammographyPhantom: Sendable {
    /// The lesion, in pixels.
    public struct Lesion: Sendable {
        public var x: Double, y: Double, radius: Double
        /// Contrast over the surrounding tissue, in attenuation units.
        public var contrast: Double
    }

    public var rows: Int, columns: Int
    public var mlo: Bool
    public var lesion: Lesion?
    /// Seeds texture and noise (the breast's own shape and tissue stay the same across its views).
    public var breastSeed: UInt64, viewSeed: UInt64

    public init(rows: Int, columns: Int, mlo: Bool, lesion: Lesion?, breastSeed: UInt64, viewSeed: UInt64) {
        (self.rows, self.columns, self.mlo, self.lesion, self.breastSeed, self.viewSeed) = (rows, columns, mlo, lesion, breastSeed, viewSeed)
    }

    /// Where a lesion can sit in this breast: inside the glandular region, away from the skin line.
    public static func lesionSite(rows: Int, columns: Int, random: inout SeededGenerator) -> (x: Double, y: Double) {
        let depth = 0.72 * Double(columns)
        let angle = random.uniform(-0.9...0.9)
        let reach = random.uniform(0.25...0.62)
        return (reach * depth * cos(angle), Double(rows) / 2 + reach * 0.42 * Double(rows) * sin(angle))
    }

    /// Renders the attenuation image.
    public func render() -> [Float] {
        var shape = SeededGenerator(seed: breastSeed, stream: 1)
        let depth = shape.uniform(0.66...0.8) * Double(columns) * (mlo ? 1.05 : 1)
        let halfHeight = shape.uniform(0.36...0.44) * Double(rows)
        let centreY = Double(rows) / 2 + (mlo ? 0.06 * Double(rows) : 0)
        let density = shape.uniform(0.1...0.3)
        // Fibroglandular tissue: a sum of soft blobs fixed per breast.
        let blobs = (0..<14).map { _ -> (Double, Double, Double, Double) in
            (shape.uniform(0.05...0.7) * depth, centreY + shape.uniform(-0.7...0.7) * halfHeight,
             shape.uniform(0.05...0.14) * Double(columns), shape.uniform(0.3...1.0))
        }
        var noise = SeededGenerator(seed: viewSeed, stream: 2)
        let lobes = (0..<5).map { _ in (noise.uniform(0...(2 * .pi)), noise.uniform(0.05...0.2)) }
        var image = [Float](repeating: 0.04, count: rows * columns)
        for y in 0..<rows {
            for x in 0..<columns {
                let dx = Double(x) / depth, dy = (Double(y) - centreY) / halfHeight
                let r = (dx * dx + dy * dy).squareRoot()
                guard r < 1 else { image[y * columns + x] = Float(0.03 + 0.01 * noise.normal()); continue }
                let thickness = (1 - r * r).squareRoot()  // compressed-breast thickness falls off at the skin line
                var glandular = 0.0
                for (bx, by, s, w) in blobs {
                    let ex = Double(x) - bx, ey = Double(y) - by
                    glandular += w * exp(-(ex * ex + ey * ey) / (2 * s * s))
                }
                var value = 0.2 + 0.3 * thickness + density * min(glandular, 1.2) * thickness
                if mlo {  // the pectoral muscle: a bright triangle in the upper chest-wall corner
                    let edge = 0.35 * Double(columns) * (1 - Double(y) / (0.55 * Double(rows)))
                    if Double(x) < edge { value += 0.18 }
                }
                if let lesion {
                    let ex = Double(x) - lesion.x, ey = Double(y) - lesion.y
                    let theta = atan2(ey, ex)
                    var radius = lesion.radius
                    for (phase, amplitude) in lobes { radius *= 1 + amplitude * sin(3 * theta + phase) * 0.5 }
                    let d = (ex * ex + ey * ey).squareRoot()
                    value += lesion.contrast / (1 + exp((d - radius) / 1.5))
                }
                image[y * columns + x] = Float(min(max(value + 0.012 * noise.normal(), 0), 1))
            }
        }
        // A burned-in marker in the top corner away from the chest wall (crop and models must cope).
        for y in 4..<min(14, rows) { for x in max(columns - 22, 0)..<max(columns - 6, 0) { image[y * columns + x] = 0.95 } }
        return image
    }
}
