import CohortCore
import Foundation

/// Applies an ``AugmentationPolicy`` to a sample: one draw of parameters per sample, applied to the image
/// and (for spatial transforms) its mask together.
///
/// Draws come from the generator in a fixed order, so a generator seeded from `(seed, epoch, image)` gives the
/// same augmented sample whatever thread makes it.
public struct Augmenter: Sendable {
    public let policy: AugmentationPolicy
    /// Class names, to look up per-class policies from a sample's label index.
    public let classes: [String]

    /// Creates an augmenter.
    public init(policy: AugmentationPolicy, classes: [String] = []) {
        self.policy = policy
        self.classes = classes
    }

    /// The parameters drawn for one sample.
    public struct Draw: Sendable, Equatable {
        public var flipH = false, flipV = false
        public var degrees = 0.0, zoom = 1.0, shiftX = 0.0, shiftY = 0.0
        public var brightness = 0.0, contrast = 1.0, gamma = 1.0, noise = 0.0, blurSigma = 0.0
        public var noiseSeed: UInt64 = 0

        /// Whether the spatial part is the identity.
        public var isSpatialIdentity: Bool { !flipH && !flipV && degrees == 0 && zoom == 1 && shiftX == 0 && shiftY == 0 }
    }

    /// Draws the parameters for a sample of class `label` (always the same number of draws).
    public func draw(label: Int?, using generator: inout SeededGenerator) -> Draw {
        let p = policy.policy(for: label.flatMap { classes.indices.contains($0) ? classes[$0] : nil })
        var d = Draw()
        let u = (0..<12).map { _ in generator.nextUnit() }  // fixed count: draws never shift between settings
        d.flipH = u[0] < p.horizontalFlip
        d.flipV = u[1] < p.verticalFlip
        d.degrees = (u[2] * 2 - 1) * p.rotationDegrees
        d.zoom = 1 + (u[3] * 2 - 1) * p.scale
        d.shiftX = (u[4] * 2 - 1) * p.translate
        d.shiftY = (u[5] * 2 - 1) * p.translate
        d.brightness = (u[6] * 2 - 1) * p.brightness
        d.contrast = 1 + (u[7] * 2 - 1) * p.contrast
        d.gamma = exp((u[8] * 2 - 1) * p.gamma)
        d.noise = u[9] * p.noise
        d.blurSigma = u[10] < p.blurProbability ? u[11] * p.blurSigma : 0
        d.noiseSeed = generator.next()
        return d
    }

    /// The augmented sample (label and id unchanged).
    public func apply(_ sample: Sample, using generator: inout SeededGenerator) -> Sample {
        let d = draw(label: sample.label, using: &generator)
        return apply(d, to: sample)
    }

    /// Applies drawn parameters.
    public func apply(_ d: Draw, to sample: Sample) -> Sample {
        var out = sample
        if !d.isSpatialIdentity {
            out.image = SpatialTransform.apply(d, to: sample.image, interpolation: .bilinear)
            out.mask = sample.mask.map { SpatialTransform.apply(d, to: $0, interpolation: .nearest) }
        }
        out.image = IntensityTransform.apply(d, to: out.image)
        return out
    }
}
