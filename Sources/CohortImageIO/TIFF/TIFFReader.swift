import CohortCore
import CTIFF

/// Reads TIFF files through libtiff: 1-32-bit integer and 32/64-bit float samples, 1 or 3 samples per pixel,
/// strips or tiles, contiguous or separate planes, every compression libtiff was built with, palettes, and
/// all pages of the same geometry as frames.
///
/// Layout matches tifffile's `imread`: pages first, samples last; 12/14-bit samples unpacked, not scaled.
public struct TIFFReader: Sendable {
    /// How to read.
    public var options: ReadOptions

    /// Creates a reader.
    public init(options: ReadOptions = ReadOptions()) { self.options = options }

    /// Reads the file at `path`.
    public func read(path: String) throws -> MedicalImage {
        let handle = try TIFFHandle(path: path, mode: "r")
        var warnings: [ImageWarning] = []
        let first = try TIFFPage(handle: handle)
        var bytes: [UInt8] = []
        var frames = 0
        var palette: ColorPalette?
        repeat {
            let page = try TIFFPage(handle: handle)
            guard page.sameGeometry(as: first) else {
                warnings.append(ImageWarning(code: "tiffPageSkipped",
                                             message: "page \(frames) has a different geometry (\(page.width)x\(page.height)) and was skipped"))
                continue
            }
            if frames == 0 { palette = page.palette(handle) }
            if options.readPixels {
                guard (frames + 1) * first.width * first.height * first.samples <= options.maximumPixels else {
                    throw ImageIOError(code: .declaredLengthTooLarge, message: "the pages exceed the pixel limit", path: path)
                }
                bytes += try page.samples(handle)
            }
            frames += 1
        } while TIFFReadDirectory(handle.tiff) == 1
        var metadata = ImageMetadata(format: .tiff, rows: first.height, columns: first.width, frames: frames,
                                     samplesPerPixel: first.samples, bitsAllocated: first.format.byteCount * 8,
                                     bitsStored: first.bitsPerSample, isSigned: first.format.isSigned)
        metadata.encoding = first.compressionName
        let photometric: Photometric = first.photometric == 3 ? .palette
            : first.samples >= 3 ? .rgb : first.photometric == 0 ? .monochrome1 : .monochrome2
        metadata.photometricInFile = photometric.rawValue
        var pixels: PixelArray?
        if options.readPixels {
            pixels = PixelArray(format: first.format, frames: frames, rows: first.height, columns: first.width,
                                samplesPerPixel: first.samples, bytes: bytes)
        }
        var image = MedicalImage(metadata: metadata, pixels: pixels, photometric: photometric, palette: palette,
                                 warnings: warnings)
        if photometric == .monochrome1 { image.grayscale.invert = true }
        if options.paletteToRGB, photometric == .palette, let palette, let p = pixels {
            image.pixels = PaletteExpansion.rgb(p, palette: palette)
            image.photometric = .rgb
        }
        return image
    }
}
