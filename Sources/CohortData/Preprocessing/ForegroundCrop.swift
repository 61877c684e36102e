import CohortCore

/// Finds the body (breast) in a display image and drops empty borders and thin burned-in text strips.
public enum ForegroundCrop {
    /// A rectangle in pixels.
    public struct Box: Sendable, Equatable {
        public var top: Int, left: Int, height: Int, width: Int
    }

    /// The bounding box of the largest run of rows and of columns in which more than `minimumShare` of the pixels
    /// exceed `threshold` (of the [0, 1] display range). Text strips and labels, being short runs or sparse rows,
    /// fall outside. Nil when nothing is bright enough (the image is kept whole).
    public static func box(of image: FloatImage, threshold: Float = 0.05, minimumShare: Double = 0.02) -> Box? {
        let gray = image.channels == 1 ? image : Normalizer.toGray(image)
        var rowCounts = [Int](repeating: 0, count: gray.height), columnCounts = [Int](repeating: 0, count: gray.width)
        for y in 0..<gray.height {
            for x in 0..<gray.width where gray.values[y * gray.width + x] > threshold {
                rowCounts[y] += 1
                columnCounts[x] += 1
            }
        }
        guard let rows = longestRun(rowCounts, minimum: Double(gray.width) * minimumShare),
              let columns = longestRun(columnCounts, minimum: Double(gray.height) * minimumShare) else { return nil }
        return Box(top: rows.lowerBound, left: columns.lowerBound, height: rows.count, width: columns.count)
    }

    /// Whether the right half holds more intensity than the left (a breast facing left after a flip).
    public static func rightHalfIsBrighter(_ image: FloatImage) -> Bool {
        var left: Double = 0, right: Double = 0
        let c = image.channels
        for y in 0..<image.height {
            for x in 0..<image.width {
                let v = Double(image.values[(y * image.width + x) * c])
                if x < image.width / 2 { left += v } else if x >= (image.width + 1) / 2 { right += v }
            }
        }
        return right > left
    }

    private static func longestRun(_ counts: [Int], minimum: Double) -> Range<Int>? {
        var best: Range<Int>?, start: Int?
        for i in 0...counts.count {
            let count = i < counts.count ? counts[i] : 0
            if Double(count) > minimum {
                if start == nil { start = i }
            } else if let s = start {
                if best == nil || i - s > best!.count { best = s..<i }
                start = nil
            }
        }
        return best
    }
}
