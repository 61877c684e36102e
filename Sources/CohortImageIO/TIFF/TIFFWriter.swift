import CohortCore
import CTIFF

/// Writes TIFF files: uint8/uint16 gray or RGB and float32 gray, one page per frame, Deflate-compressed.
public enum TIFFWriter {
    /// Writes every frame of `pixels` as a page of `path`; values are stored exactly.
    public static func write(_ pixels: PixelArray, to path: String) throws {
        let supported: [SampleFormat] = [.uint8, .uint16, .float32]
        guard supported.contains(pixels.format), pixels.samplesPerPixel == 1 || pixels.samplesPerPixel == 3 else {
            throw ImageIOError(code: .writeFailed,
                               message: "TIFF export holds uint8, uint16 or float32 with 1 or 3 samples; got \(pixels.format) x\(pixels.samplesPerPixel)",
                               path: path)
        }
        let handle = try TIFFHandle(path: path, mode: "w")
        let rowBytes = pixels.columns * pixels.samplesPerPixel * pixels.format.byteCount
        for frame in 0..<pixels.frames {
            let t = handle.tiff
            _ = ctiff_set_u32(t, UInt32(TIFFTAG_IMAGEWIDTH), UInt32(pixels.columns))
            _ = ctiff_set_u32(t, UInt32(TIFFTAG_IMAGELENGTH), UInt32(pixels.rows))
            _ = ctiff_set_u16(t, UInt32(TIFFTAG_BITSPERSAMPLE), UInt16(pixels.format.byteCount * 8))
            _ = ctiff_set_u16(t, UInt32(TIFFTAG_SAMPLESPERPIXEL), UInt16(pixels.samplesPerPixel))
            _ = ctiff_set_u16(t, UInt32(TIFFTAG_SAMPLEFORMAT), pixels.format == .float32 ? 3 : 1)
            _ = ctiff_set_u16(t, UInt32(TIFFTAG_PHOTOMETRIC), pixels.samplesPerPixel == 3 ? 2 : 1)
            _ = ctiff_set_u16(t, UInt32(TIFFTAG_PLANARCONFIG), 1)
            _ = ctiff_set_u16(t, UInt32(TIFFTAG_COMPRESSION), 8)
            _ = ctiff_set_u32(t, UInt32(TIFFTAG_ROWSPERSTRIP), UInt32(Swift.max(1, 65536 / Swift.max(rowBytes, 1))))
            if pixels.frames > 1 {
                _ = ctiff_set_u16(t, UInt32(TIFFTAG_SUBFILETYPE), 2)
            }
            let base = frame * pixels.rows * rowBytes
            try pixels.bytes.withUnsafeBytes { raw in
                for row in 0..<pixels.rows {
                    let pointer = UnsafeMutableRawPointer(mutating: raw.baseAddress! + base + row * rowBytes)
                    guard TIFFWriteScanline(t, pointer, UInt32(row), 0) == 1 else {
                        throw ImageIOError(code: .writeFailed, message: "cannot write row \(row)", path: path,
                                           libraryMessage: handle.lastError)
                    }
                }
            }
            guard TIFFWriteDirectory(t) == 1 else {
                throw ImageIOError(code: .writeFailed, message: "cannot finish page \(frame)", path: path,
                                   libraryMessage: handle.lastError)
            }
        }
    }
}
