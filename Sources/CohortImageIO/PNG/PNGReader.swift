import CCohortKernels
import CohortCore
import CPNG
import Foundation

/// Reads PNG files exactly at their own bit depth through libpng's classic API (no gamma applied).
///
/// 1/2/4-bit samples are unpacked to one byte each without scaling; 16-bit samples become uint16;
/// palette images keep their indices with the palette attached (PNG's PLTE chunk).
///
/// Pixels of non-interlaced gray, gray+alpha, RGB and RGBA files come from Cohort's own decoder
/// (`ccohort_png_decode`: libdeflate inflates the whole image in one call, rows are unfiltered without branches),
/// about 1.6x libpng's speed on BUSI; palette, interlaced and any doubtful file (bad CRC, odd chunks, too
/// little data) go to libpng, whose values and errors stand. Tests compare the two on every shared PNG.
public struct PNGReader: Sendable {
    /// How to read.
    public var options: ReadOptions

    /// Creates a reader.
    public init(options: ReadOptions = ReadOptions()) { self.options = options }

    /// Reads the file at `path`.
    public func read(path: String) throws -> MedicalImage {
        if options.readPixels, options.pngFastPath, let image = try fastRead(path: path) { return image }
        var info = CPNGInfo()
        var buffer: UnsafeMutablePointer<UInt8>?
        var message = [CChar](repeating: 0, count: 256)
        let status = options.readPixels
            ? cpng_read(path, UInt64(options.maximumPixels), &info, &buffer, &message, message.count)
            : cpng_read(path, UInt64(options.maximumPixels), &info, nil, &message, message.count)
        defer { free(buffer) }
        guard status == 0, buffer != nil || !options.readPixels else {
            throw ImageIOError(code: .decodeFailed, message: "cannot decode the PNG file (truncated or corrupt)",
                               path: path, libraryMessage: String(cString: message))
        }
        var (metadata, pixels, photometric) = Self.image(rows: Int(info.height), columns: Int(info.width), channels: Int(info.channels),
                                                         depth: Int(info.bitDepth), samples: buffer)
        var palette: ColorPalette?
        if info.colorType == 3 {
            palette = Self.palette(info)
            photometric = .palette
            metadata.photometricInFile = "PALETTE COLOR"
            if options.paletteToRGB, let palette, let indices = pixels {
                pixels = PaletteExpansion.rgb(indices, palette: palette)
                photometric = .rgb
            }
        }
        return MedicalImage(metadata: metadata, pixels: pixels, photometric: photometric, palette: palette)
    }

    /// The header of a PNG file from its first bytes (`head`, 33 or more) without opening it, as a header-only
    /// ``read(path:)`` gives it; nil for palette files and anything doubtful, which need that read.
    public static func header(head: [UInt8], options: ReadOptions = ReadOptions()) -> MedicalImage? {
        var decoded = CCohortPNGImage()
        let status = head.withUnsafeBufferPointer { ccohort_png_header($0.baseAddress, $0.count, UInt64(options.maximumPixels), &decoded) }
        guard status == Int32(CCOHORT_PNG_OK) else { return nil }
        let (metadata, _, photometric) = image(rows: Int(decoded.height), columns: Int(decoded.width), channels: Int(decoded.channels),
                                               depth: Int(decoded.bitDepth), samples: nil)
        return MedicalImage(metadata: metadata, pixels: nil, photometric: photometric, palette: nil)
    }

    /// The file decoded by Cohort's PNG decoder, or nil when it leaves the file to libpng.
    private func fastRead(path: String) throws -> MedicalImage? {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImageIOError(code: .decodeFailed, message: "cannot read the PNG file", path: path)
        }
        var decoded = CCohortPNGImage()
        let status = data.withUnsafeBytes { raw in
            ccohort_png_decode(raw.bindMemory(to: UInt8.self).baseAddress, raw.count, UInt64(options.maximumPixels), &decoded)
        }
        guard status == Int32(CCOHORT_PNG_OK), let buffer = decoded.pixels else { return nil }
        defer { free(buffer) }
        let (metadata, pixels, photometric) = Self.image(rows: Int(decoded.height), columns: Int(decoded.width), channels: Int(decoded.channels),
                                                         depth: Int(decoded.bitDepth), samples: buffer)
        return MedicalImage(metadata: metadata, pixels: pixels, photometric: photometric, palette: nil)
    }

    /// Metadata, pixels and photometric of a decoded PNG as its colour type gives them (palette files adjust them):
    /// `samples` holds rows x columns x channels samples, one byte each up to 8 bits, two little-endian at 16
    /// (nil for a header-only read).
    private static func image(rows: Int, columns: Int, channels: Int, depth: Int, samples: UnsafeMutablePointer<UInt8>?)
        -> (metadata: ImageMetadata, pixels: PixelArray?, photometric: Photometric) {
        let format: SampleFormat = depth == 16 ? .uint16 : .uint8
        var metadata = ImageMetadata(format: .png, rows: rows, columns: columns, samplesPerPixel: channels, bitsAllocated: depth, bitsStored: depth)
        metadata.encoding = "PNG"
        let photometric: Photometric = [1: .monochrome2, 2: .grayAlpha, 3: .rgb, 4: .rgba][channels] ?? .monochrome2
        metadata.photometricInFile = photometric.rawValue
        let pixels = samples.map {
            PixelArray(format: format, frames: 1, rows: rows, columns: columns, samplesPerPixel: channels,
                       bytes: [UInt8](UnsafeBufferPointer(start: $0, count: rows * columns * channels * format.byteCount)))
        }
        return (metadata, pixels, photometric)
    }

    private static func palette(_ info: CPNGInfo) -> ColorPalette? {
        let count = Int(info.paletteCount)
        guard count > 0 else { return nil }
        let entries = withUnsafeBytes(of: info.palette) { Array($0.prefix(count * 3)) }
        return ColorPalette(firstMapped: 0, bitsPerEntry: 8,
                            red: (0..<count).map { UInt16(entries[3 * $0]) },
                            green: (0..<count).map { UInt16(entries[3 * $0 + 1]) },
                            blue: (0..<count).map { UInt16(entries[3 * $0 + 2]) })
    }
}

/// Writes PNG files (8 or 16-bit; gray, gray+alpha, RGB or RGBA) with values exactly as given.
public enum PNGWriter {
    /// Writes one frame of `pixels` (uint8 or uint16, 1-4 samples) to `path`.
    public static func write(_ pixels: PixelArray, frame: Int = 0, to path: String) throws {
        guard pixels.format == .uint8 || pixels.format == .uint16, (1...4).contains(pixels.samplesPerPixel) else {
            throw ImageIOError(code: .writeFailed,
                               message: "PNG holds uint8 or uint16 with 1-4 samples; got \(pixels.format) x\(pixels.samplesPerPixel). Convert with --display or write TIFF",
                               path: path)
        }
        let data = pixels.frames == 1 ? pixels : pixels.frame(frame)
        var message = [CChar](repeating: 0, count: 256)
        let status = data.bytes.withUnsafeBufferPointer {
            cpng_write(path, UInt32(data.columns), UInt32(data.rows), Int32(data.format.byteCount * 8),
                       Int32(data.samplesPerPixel), $0.baseAddress, &message, message.count)
        }
        guard status == 0 else {
            throw ImageIOError(code: .writeFailed, message: "cannot write the PNG file", path: path,
                               libraryMessage: String(cString: message))
        }
    }
}
