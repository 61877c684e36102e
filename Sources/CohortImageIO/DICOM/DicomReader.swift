import CohortCore

/// Reads DICOM files through DCMTK (and OpenJPEG for JPEG 2000) into a ``MedicalImage``.
///
/// Stored values follow pydicom's `pixel_array` conventions so digests can be compared: YBR converted to
/// RGB, 1-bit data unpacked to bytes, signed data sign-extended from Bits Stored, samples interleaved.
public struct DicomReader: Sendable {
    /// How to read.
    public var options: ReadOptions

    /// Creates a reader.
    public init(options: ReadOptions = ReadOptions()) { self.options = options }

    /// Reads the file at `path`.
    public func read(path: String) throws -> MedicalImage {
        let file = try DicomFile(path: path, headerOnly: !options.readPixels)
        var warnings: [ImageWarning] = []
        let attributes = try PixelAttributes(file: file, options: options, warnings: &warnings)
        var metadata = DicomMetadataReader(file: file).metadata(attributes: attributes)
        var image = MedicalImage(metadata: metadata, pixels: nil, photometric: attributes.decodedPhotometric,
                                 warnings: [])
        image.grayscale = try DicomDisplayReader(file: file, photometric: attributes.photometricInFile)
            .transforms(warnings: &warnings, leniency: options.leniency)
        if attributes.photometricInFile == "PALETTE COLOR" {
            image.palette = try DicomDisplayReader(file: file, photometric: attributes.photometricInFile).palette()
        }
        if options.readPixels {
            let decoded = try DicomPixelDecoder(file: file, attributes: attributes, options: options)
                .decode(warnings: &warnings)
            image.pixels = decoded.pixels
            image.photometric = decoded.photometric
            metadata.encoding = file.transferSyntax
            if options.paletteToRGB, decoded.photometric == .palette, let palette = image.palette, let pixels = image.pixels {
                image.pixels = PaletteExpansion.rgb(pixels, palette: palette)
                image.photometric = .rgb
            }
        }
        image.warnings = warnings
        return image
    }
}
