/// An image read from a DICOM, PNG or TIFF file: stored pixels, metadata and the display chain.
public struct MedicalImage: Sendable {
    /// What the file says about the image and its acquisition.
    public var metadata: ImageMetadata
    /// Stored values (nil after a header-only read).
    public var pixels: PixelArray?
    /// Interpretation of ``pixels`` (YBR already converted to RGB).
    public var photometric: Photometric
    /// The grayscale display chain (identity for colour images).
    public var grayscale: GrayscaleTransforms
    /// The colour palette of a ``Photometric/palette`` image.
    public var palette: ColorPalette?
    /// Irregularities found while reading, when leniency allowed them.
    public var warnings: [ImageWarning]

    /// Creates an image.
    public init(metadata: ImageMetadata, pixels: PixelArray?, photometric: Photometric,
                grayscale: GrayscaleTransforms = GrayscaleTransforms(), palette: ColorPalette? = nil,
                warnings: [ImageWarning] = []) {
        self.metadata = metadata
        self.pixels = pixels
        self.photometric = photometric
        self.grayscale = grayscale
        self.palette = palette
        self.warnings = warnings
    }
}
