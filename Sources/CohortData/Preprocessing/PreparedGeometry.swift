import CohortCore

/// Where a prepared sample's pixels came from in its original image: the crop, the flip and the placement of the
/// resized content in the model's grid. ``restore(_:)`` maps a model-sized map (a predicted mask) back onto the
/// original image.
public struct PreparedGeometry: Sendable, Codable, Equatable {
    /// Size of the original (display) image.
    public var originalHeight: Int, originalWidth: Int
    /// The crop to the foreground in original pixels (the whole image when there was none).
    public var cropTop: Int, cropLeft: Int, cropHeight: Int, cropWidth: Int
    /// Whether the crop was mirrored left-right (orientation normalisation).
    public var flipped: Bool
    /// The rectangle of the model grid holding the resized crop (the whole grid when stretched; the letterbox
    /// content when padded).
    public var contentTop: Int, contentLeft: Int, contentHeight: Int, contentWidth: Int
    /// Row and column spacing of the original image in millimetres, when its header gives them.
    public var spacingMillimeters: [Double]?

    /// An identity geometry for an image of this size that was not cropped or flipped and fills the grid.
    public init(height: Int, width: Int) {
        (originalHeight, originalWidth, cropTop, cropLeft, cropHeight, cropWidth) = (height, width, 0, 0, height, width)
        flipped = false
        (contentTop, contentLeft, contentHeight, contentWidth) = (0, 0, height, width)
    }

    /// `map` (`[H, W, C]` at the model's grid) resampled bilinearly back onto the original image: the content
    /// rectangle is resized to the crop, un-flipped and placed at the crop; pixels outside the crop are 0.
    public func restore(_ map: FloatImage) -> FloatImage {
        var content = Resampling.crop(map, top: contentTop, left: contentLeft, height: contentHeight, width: contentWidth)
        content = Resampling.resize(content, height: cropHeight, width: cropWidth, interpolation: .bilinear)
        if flipped { content = Resampling.flippedHorizontally(content) }
        return Resampling.crop(content, top: -cropTop, left: -cropLeft, height: originalHeight, width: originalWidth)
    }
}

extension Preprocessor {
    /// ``prepare(display:mask:laterality:)`` that also reports the geometry it applied.
    public func prepareTracked(display: FloatImage, mask: FloatImage?, laterality: String?) -> (FloatImage, FloatImage?, PreparedGeometry) {
        var geometry = PreparedGeometry(height: display.height, width: display.width)
        var image = Normalizer.toGray(display), mask = mask
        if settings.cropToForeground, let box = ForegroundCrop.box(of: image) {
            image = Resampling.crop(image, top: box.top, left: box.left, height: box.height, width: box.width)
            mask = mask.map { Resampling.crop($0, top: box.top, left: box.left, height: box.height, width: box.width) }
            (geometry.cropTop, geometry.cropLeft, geometry.cropHeight, geometry.cropWidth) = (box.top, box.left, box.height, box.width)
        }
        if shouldFlip(image, laterality: laterality) {
            image = Resampling.flippedHorizontally(image)
            mask = mask.map(Resampling.flippedHorizontally)
            geometry.flipped = true
        }
        (geometry.contentTop, geometry.contentLeft, geometry.contentHeight, geometry.contentWidth) = (0, 0, settings.height, settings.width)
        switch settings.resize {
        case .stretch:
            image = Resampling.resize(image, height: settings.height, width: settings.width, interpolation: .bilinear)
            mask = mask.map { Resampling.resize($0, height: settings.height, width: settings.width, interpolation: .nearest) }
        case .pad:
            let placement = Resampling.letterboxPlacement(height: image.height, width: image.width, into: settings.height, settings.width)
            (geometry.contentTop, geometry.contentLeft, geometry.contentHeight, geometry.contentWidth) = placement
            image = Resampling.letterbox(image, height: settings.height, width: settings.width, interpolation: .bilinear)
            mask = mask.map { Resampling.letterbox($0, height: settings.height, width: settings.width, interpolation: .nearest) }
        }
        return (image, mask, geometry)
    }
}
