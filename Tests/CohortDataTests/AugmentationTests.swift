import CohortCore
@testable import CohortData
import XCTest

final class AugmentationTests: XCTestCase {
    /// A bright off-centre disc on black, and its mask: image and mask agree exactly before augmentation.
    private func discSample(size: Int = 64) -> Sample {
        var image = FloatImage(height: size, width: size, channels: 1)
        var mask = FloatImage(height: size, width: size, channels: 1)
        for y in 0..<size {
            for x in 0..<size where (x - size / 3) * (x - size / 3) + (y - size / 2) * (y - size / 2) < (size / 5) * (size / 5) {
                image[y, x, 0] = 1
                mask[y, x, 0] = 1
            }
        }
        return Sample(imageId: 1, image: image, mask: mask, label: 0)
    }

    /// Intersection over union of (image > 0.5) and (mask > 0.5).
    private func agreement(_ s: Sample) -> Double {
        var both = 0, either = 0
        for i in s.image.values.indices {
            let a = s.image.values[i] > 0.5, b = s.mask!.values[i] > 0.5
            if a && b { both += 1 }
            if a || b { either += 1 }
        }
        return either == 0 ? 1 : Double(both) / Double(either)
    }

    private func policies() -> [(String, AugmentationPolicy)] {
        var list: [(String, AugmentationPolicy)] = []
        var p = AugmentationPolicy(); p.horizontalFlip = 1; list.append(("hflip", p))
        p = AugmentationPolicy(); p.verticalFlip = 1; list.append(("vflip", p))
        p = AugmentationPolicy(); p.rotationDegrees = 30; list.append(("rotation", p))
        p = AugmentationPolicy(); p.scale = 0.3; list.append(("scale", p))
        p = AugmentationPolicy(); p.translate = 0.2; list.append(("translate", p))
        p = AugmentationPolicy(); p.horizontalFlip = 0.5; p.verticalFlip = 0.5; p.rotationDegrees = 20; p.scale = 0.2
        p.translate = 0.1; list.append(("combined", p))
        return list
    }

    func testEverySpatialAugmentationMovesImageAndMaskTogether() {
        let sample = discSample()
        for (name, policy) in policies() {
            let augmenter = Augmenter(policy: policy)
            var moved = false
            for draw in 0..<20 as Range<UInt64> {
                var generator = SeededGenerator(seed: 5, stream: draw)
                let out = augmenter.apply(sample, using: &generator)
                XCTAssertGreaterThan(agreement(out), 0.9, "\(name), draw \(draw)")
                XCTAssertEqual(Set(out.mask!.values), Set(out.mask!.values).intersection([0, 1]), "masks stay binary (\(name))")
                moved = moved || out.mask != sample.mask
            }
            XCTAssertTrue(moved, "\(name) changed nothing in 20 draws")
        }
    }

    func testIntensityAugmentationNeverTouchesTheMask() {
        var policy = AugmentationPolicy()
        policy.brightness = 0.3; policy.contrast = 0.3; policy.gamma = 0.3; policy.noise = 0.1
        policy.blurSigma = 2; policy.blurProbability = 1
        let sample = discSample()
        var generator = SeededGenerator(seed: 1)
        let out = Augmenter(policy: policy).apply(sample, using: &generator)
        XCTAssertEqual(out.mask, sample.mask)
        XCTAssertNotEqual(out.image, sample.image)
    }

    func testTheSameSeedGivesTheSameSampleAndAnotherSeedAnother() {
        let (_, policy) = policies().last!
        var noisy = policy
        noisy.noise = 0.05; noisy.brightness = 0.1
        let augmenter = Augmenter(policy: noisy)
        var a = SeededGenerator(seed: 3, stream: 1, 2), b = SeededGenerator(seed: 3, stream: 1, 2), c = SeededGenerator(seed: 4, stream: 1, 2)
        let sample = discSample()
        XCTAssertEqual(augmenter.apply(sample, using: &a), augmenter.apply(sample, using: &b))
        XCTAssertNotEqual(augmenter.apply(sample, using: &a), augmenter.apply(sample, using: &c))
    }

    func testPerClassPoliciesApplyOnlyToTheirClass() {
        let policy = AugmentationPolicy.minorityClasses(["malignant"])
        let augmenter = Augmenter(policy: policy, classes: ["benign", "malignant"])
        var benign = discSample(), malignant = discSample()
        benign.label = 0
        malignant.label = 1
        var changed = 0
        for draw in 0..<10 as Range<UInt64> {
            var g1 = SeededGenerator(seed: draw), g2 = SeededGenerator(seed: draw)
            XCTAssertEqual(augmenter.apply(benign, using: &g1), benign, "the majority class is not augmented")
            if augmenter.apply(malignant, using: &g2) != malignant { changed += 1 }
        }
        XCTAssertGreaterThanOrEqual(changed, 8)
    }

    func testFlippingTwiceIsTheIdentityAndRotationByZeroChangesNothing() {
        let sample = discSample(size: 17)
        XCTAssertEqual(Resampling.flippedHorizontally(Resampling.flippedHorizontally(sample.image)), sample.image)
        XCTAssertEqual(Resampling.flippedVertically(Resampling.flippedVertically(sample.image)), sample.image)
        XCTAssertEqual(SpatialTransform.apply(Augmenter.Draw(), to: sample.image, interpolation: .bilinear), sample.image)
    }
}
