import CohortCore
import Foundation
@testable import CohortData
import XCTest

final class PreprocessingTests: XCTestCase {
    func testResizingAConstantImageKeepsItConstantAndHalvingAveragesPairs() {
        let constant = FloatImage(height: 7, width: 5, channels: 2, repeating: 0.25)
        let resized = Resampling.resize(constant, height: 11, width: 3, interpolation: .bilinear)
        XCTAssertTrue(resized.values.allSatisfy { abs($0 - 0.25) < 1e-6 })
        // Halving with centres at half pixels samples exactly between two source pixels (PyTorch's convention).
        let ramp = FloatImage(height: 1, width: 4, channels: 1, values: [0, 1, 2, 3])
        XCTAssertEqual(Resampling.resize(ramp, height: 1, width: 2, interpolation: .bilinear).values, [0.5, 2.5])
    }

    func testGrayBilinearWarpEqualsTheGeneralPathBitForBit() {
        // One channel takes a specialised loop; the general loop runs for two channels. Same values to the last bit,
        // inside, at the clamped edges and in the filled outside.
        var generator = SeededGenerator(seed: 5)
        let gray = FloatImage(height: 37, width: 51, channels: 1, values: (0..<(37 * 51)).map { _ in Float.random(in: 0...1, using: &generator) })
        let pair = FloatImage(height: 37, width: 51, channels: 2, values: gray.values.flatMap { [$0, 1 - $0] })
        for trial in 0..<6 {
            let angle = Double.random(in: -0.6...0.6, using: &generator), zoom = Double.random(in: 0.6...1.5, using: &generator)
            let m = Resampling.Affine(a: cos(angle) / zoom, b: sin(angle) / zoom, c: Double.random(in: -9...9, using: &generator),
                                      d: -sin(angle) / zoom, e: cos(angle) / zoom, f: Double.random(in: -9...9, using: &generator))
            let (h, w) = trial == 0 ? (37, 51) : (29 + trial, 44 - trial)
            let fast = Resampling.warp(gray, height: h, width: w, interpolation: .bilinear, fill: 0.125, affine: m)
            let general = Resampling.warp(pair, height: h, width: w, interpolation: .bilinear, fill: 0.125, affine: m)
            XCTAssertEqual(fast.values, stride(from: 0, to: general.values.count, by: 2).map { general.values[$0] }, "trial \(trial)")
            XCTAssertTrue(fast.values.contains(0.125), "trial \(trial): part of the output lies outside the source")
        }
        let resized = Resampling.resize(gray, height: 224, width: 224, interpolation: .bilinear)
        let resizedPair = Resampling.resize(pair, height: 224, width: 224, interpolation: .bilinear)
        XCTAssertEqual(resized.values, stride(from: 0, to: resizedPair.values.count, by: 2).map { resizedPair.values[$0] })
        // Axis-aligned maps (resize, letterbox) take a separable loop: also against the general one, with fill.
        let boxed = Resampling.letterbox(gray, height: 64, width: 40, interpolation: .bilinear)
        let boxedPair = Resampling.letterbox(pair, height: 64, width: 40, interpolation: .bilinear)
        XCTAssertEqual(boxed.values, stride(from: 0, to: boxedPair.values.count, by: 2).map { boxedPair.values[$0] })
        let shifted = Resampling.Affine(a: 0.7, b: 0, c: -6.25, d: 0, e: 1.3, f: -4.5)
        let fast = Resampling.warp(gray, height: 40, width: 80, interpolation: .bilinear, fill: 0.5, affine: shifted)
        let general = Resampling.warp(pair, height: 40, width: 80, interpolation: .bilinear, fill: 0.5, affine: shifted)
        XCTAssertEqual(fast.values, stride(from: 0, to: general.values.count, by: 2).map { general.values[$0] })
        XCTAssertTrue(fast.values.contains(0.5) && fast.values.contains { $0 != 0.5 }, "both filled and sampled pixels")
    }

    func testLetterboxKeepsTheAspectAndCentres() {
        let wide = FloatImage(height: 10, width: 20, channels: 1, repeating: 1)
        let boxed = Resampling.letterbox(wide, height: 20, width: 20, interpolation: .bilinear)
        let rows = (0..<20).map { y in boxed[y, 10, 0] }
        XCTAssertEqual(rows, Array(repeating: 0, count: 5) + Array(repeating: 1, count: 10) + Array(repeating: 0, count: 5))
    }

    func testForegroundCropDropsEmptyBordersAndThinTextStrips() {
        var image = FloatImage(height: 100, width: 80, channels: 1)
        for y in 20..<70 { for x in 10..<50 { image[y, x, 0] = 0.8 } }  // the body
        for x in 60..<62 { image[90, x, 0] = 1 }                           // a burned-in label, far away
        let box = ForegroundCrop.box(of: image)
        XCTAssertEqual(box, ForegroundCrop.Box(top: 20, left: 10, height: 50, width: 40))
        XCTAssertNil(ForegroundCrop.box(of: FloatImage(height: 5, width: 5, channels: 1)))
    }

    func testRightBreastsAreFlippedToFaceTheSameWay() {
        var image = FloatImage(height: 4, width: 4, channels: 1)
        for y in 0..<4 { image[y, 3, 0] = 1 }
        var settings = Preprocessing()
        settings.height = 4; settings.width = 4
        settings.orientation = .laterality
        let flipped = Preprocessor(settings).prepare(display: image, mask: nil, laterality: "R").0
        XCTAssertEqual(flipped[0, 0, 0], 1)
        XCTAssertEqual(Preprocessor(settings).prepare(display: image, mask: nil, laterality: "L").0, image)
        settings.orientation = .auto
        XCTAssertEqual(Preprocessor(settings).prepare(display: image, mask: nil, laterality: nil).0[0, 0, 0], 1,
                       "without laterality the brighter half goes left")
    }

    func testNormalisationsHaveTheirDeclaredRanges() {
        let gray = FloatImage(height: 2, width: 2, channels: 1, values: [0, 0.5, 1, 0.5])
        XCTAssertEqual(Normalizer.normalize(gray, .symmetric, channels: 1).values, [-1, 0, 1, 0])
        let z = Normalizer.normalize(gray, .zscore, channels: 1).values
        XCTAssertEqual(z.reduce(0, +), 0, accuracy: 1e-6)
        let imagenet = Normalizer.normalize(gray, .imagenet, channels: 3)
        XCTAssertEqual(imagenet.channels, 3)
        XCTAssertEqual(imagenet[0, 0, 1], (0 - 0.456) / 0.224, accuracy: 1e-6)
        XCTAssertEqual(Normalizer.normalize(gray, .unit, channels: 3).values, [0, 0, 0, 0.5, 0.5, 0.5, 1, 1, 1, 0.5, 0.5, 0.5])
    }
}
