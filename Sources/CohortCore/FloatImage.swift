/// A floating-point image, `[height, width, channels]` in C order (channels last), any value range.
///
/// The working type of preprocessing and augmentation; tensors (`[N, C, H, W]`) are made from it only in
/// training.
public struct FloatImage: Sendable, Equatable {
    /// Image height in pixels.
    public let height: Int
    /// Image width in pixels.
    public let width: Int
    /// Values per pixel (1 gray, 3 RGB).
    public let channels: Int
    /// `height * width * channels` values.
    public var values: [Float]

    /// Creates an image; `values` must match the shape.
    public init(height: Int, width: Int, channels: Int, values: [Float]) {
        precondition(values.count == height * width * channels,
                     "FloatImage: \(values.count) values for \(height)x\(width)x\(channels)")
        self.height = height
        self.width = width
        self.channels = channels
        self.values = values
    }

    /// A constant image.
    public init(height: Int, width: Int, channels: Int, repeating value: Float = 0) {
        self.init(height: height, width: width, channels: channels,
                  values: [Float](repeating: value, count: height * width * channels))
    }

    /// The display image as a float image (values in `[0, 1]`).
    public init(_ display: DisplayImage) {
        self.init(height: display.rows, width: display.columns, channels: display.channels, values: display.values)
    }

    /// Value at row `y`, column `x`, channel `c`.
    @inlinable public subscript(y: Int, x: Int, c: Int) -> Float {
        get { values[(y * width + x) * channels + c] }
        set { values[(y * width + x) * channels + c] = newValue }
    }
}

/// One training or scoring example: image, optional mask, label and the facts preprocessing needs.
public struct Sample: Sendable, Equatable {
    /// Catalog id of the image.
    public var imageId: Int64
    /// The image, `[H, W, C]`.
    public var image: FloatImage
    /// Lesion mask of the same height and width, one channel, values 0 or 1 (nil when the image has none).
    public var mask: FloatImage?
    /// Class index of the label (nil when unlabelled).
    public var label: Int?

    /// Creates a sample.
    public init(imageId: Int64, image: FloatImage, mask: FloatImage? = nil, label: Int? = nil) {
        precondition(mask == nil || (mask!.height == image.height && mask!.width == image.width && mask!.channels == 1),
                     "Sample: mask \(mask.map { "\($0.height)x\($0.width)x\($0.channels)" } ?? "") does not match image \(image.height)x\(image.width)")
        self.imageId = imageId
        self.image = image
        self.mask = mask
        self.label = label
    }
}
